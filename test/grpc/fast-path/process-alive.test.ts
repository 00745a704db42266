/** The deadline queue and idle timers hold the process only while calls wait. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createTestServer } from "@k1s0/scheduler-client/testing";

it("a client whose calls finished (never closed) does not keep the process alive", async () => {
  const server = await createTestServer({ clock: "manual" });
  const root = join(__dirname, "../../..");
  const t0 = Date.now();
  const child = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "test/grpc/fast-path/alive-child.ts", server.url], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  let hung = false;
  const guard = setTimeout(() => { hung = true; child.kill("SIGKILL"); }, 20_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(guard);
  console.log("exit after", Date.now() - t0, "ms");
  await server.close();
  expect({ hung, code, out: out.trim() }).toEqual({ hung: false, code: 0, out: "done" });
}, 40_000);
