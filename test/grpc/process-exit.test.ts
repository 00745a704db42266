import { spawn } from "node:child_process";
import { join } from "node:path";

describe("close()", () => {
  it("leaves nothing that keeps the process alive (client and test server)", async () => {
    const root = join(__dirname, "../..");
    const child = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "test/fixtures/exit-after-close.ts"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    // A hang guard, not a speed check: a process that is still alive long after "closed" hangs.
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(guard);
    expect({ hung, code, out: out.trim() }).toEqual({ hung: false, code: 0, out: "closed" });
  }, 40_000);
});
