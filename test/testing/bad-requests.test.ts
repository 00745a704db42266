import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

const run = promisify(execFile);

describe("test server: requests Connect cannot parse", () => {
  it("answers HTTP 400 to an :authority that is no URL host (and keeps serving), instead of crashing", async () => {
    // In its own process: the failure this guards against is an uncaught exception.
    const root = join(__dirname, "../..");
    const { stdout } = await run(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "test/fixtures/bad-authority.ts"], { cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ status: 400, jobs: 0 });
  }, 40_000);

  it("serves clients on IPv6 loopback (the client sends the bracketed :authority)", async () => {
    const server = await createTestServer({ clock: "manual", host: "::1" });
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const client = new GrpcSchedulerClient(server.url);
    expect(await client.listJobs()).toEqual([]);
    await client.close();
    await server.close();
  });
});
