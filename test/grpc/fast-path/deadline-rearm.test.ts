/** The one deadline timer of the fast path is re-armed lazily: no call times out late or early because another finished first. */
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { silentServer } from "../../support/silent-server.js";

const timed = async (p: Promise<unknown>): Promise<[number, string]> => {
  const t0 = performance.now();
  const code = await p.then(() => "ok", (e: SchedulerError) => e.code);
  return [Math.round(performance.now() - t0), code];
};

describe("deadline timer re-armed after the earliest call finishes", () => {
  let server: TestServer;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
    silent = await silentServer();
  });
  afterAll(async () => {
    await server.close();
    await silent.close();
  });

  it("earliest finishes first, later one still times out on time; then a lone later call after the queue emptied", async () => {
    const fast = new GrpcSchedulerClient(server.url, { retry: false });
    const slow = new GrpcSchedulerClient(silent.url, { retry: false });
    await fast.listJobs(); // connection up
    const a = timed(slow.getJob("a", { timeoutMs: 700 }));
    const b = timed(fast.getJob("b", { timeoutMs: 300 }));
    const [ra, rb] = await Promise.all([a, b]);
    // queue empty now, timer unref'd; a call with a deadline before and after the stale armed time
    const c = await timed(fast.getJob("c", { timeoutMs: 5000 }));
    const d = await timed(slow.getJob("d", { timeoutMs: 400 }));
    console.log({ ra, rb, c, d });
    expect(ra[1]).toBe("TIMEOUT");
    expect(ra[0]).toBeLessThan(1500);
    expect(d[1]).toBe("TIMEOUT");
    expect(d[0]).toBeLessThan(1200);
    await fast.close();
    await slow.close();
  }, 20000);
});
