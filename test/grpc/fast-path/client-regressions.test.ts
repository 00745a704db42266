/** Regressions the review of the fast client path (issue #14) found: interceptor copies of the request, the deadline timer re-armed for the earliest call, monotonic deadlines. */
import type { Interceptor } from "@connectrpc/connect";
import { GrpcSchedulerClient, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { silentServer } from "../../support/silent-server.js";

const settleTime = async (p: Promise<unknown>): Promise<{ ms: number; err: unknown; ok: unknown }> => {
  const t0 = performance.now();
  try {
    const ok = await p;
    return { ms: performance.now() - t0, err: undefined, ok };
  } catch (err) {
    return { ms: performance.now() - t0, err, ok: undefined };
  }
};

describe("interceptor copies of the request (Connect contract)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
  });
  afterAll(() => server.close());

  it("a copy `{ ...req }` passed to the next interceptor still has header/signal/contextValues", async () => {
    const seen: string[] = [];
    const copying: Interceptor = (next) => (req) => next({ ...req });
    const reading: Interceptor = (next) => (req) => {
      seen.push(`signal:${typeof req.signal} header:${typeof req.header} ctx:${typeof req.contextValues}`);
      req.header.set("x-trace-id", "abc");
      return next(req);
    };
    const client = new GrpcSchedulerClient(server.url, { interceptors: [copying, reading], timeoutMs: 5000, retry: false });
    const r = await settleTime(client.listJobs());
    await client.close();
    expect(seen).toEqual(["signal:object header:object ctx:object"]);
    expect(r.err).toBeUndefined();
  });
});

describe("deadline queue", () => {
  it("an earlier deadline is not pushed back by a call started while another call expires", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url, { retry: false });
    let late: Promise<unknown> | undefined;
    // Starts a call with a long deadline synchronously when its request's signal aborts.
    const onAbort: Interceptor = (next) => (req) => {
      if (req.url.endsWith("/GetJob")) {
        req.signal.addEventListener("abort", () => {
          late = client.listJobs({}, { timeoutMs: 8000 }).catch(() => undefined);
        });
      }
      return next(req);
    };
    const client2 = new GrpcSchedulerClient(silent.url, { interceptors: [onAbort], retry: false });
    const a = settleTime(client2.getJob("job-a", { timeoutMs: 200 }));
    const b = settleTime(client.getJob("job-b", { timeoutMs: 700 }));
    const [ra, rb] = await Promise.all([a, b]);
    console.log("A", Math.round(ra.ms), (ra.err as SchedulerError)?.code, "B", Math.round(rb.ms), (rb.err as SchedulerError)?.code);
    await late;
    await client.close();
    await client2.close();
    await silent.close();
    expect((rb.err as SchedulerError).code).toBe("TIMEOUT");
    expect(rb.ms).toBeLessThan(2000);
  }, 20000);

  it("a wall-clock step backwards does not delay a deadline (timers are monotonic)", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url, { retry: false });
    const realNow = Date.now.bind(Date);
    const p = settleTime(client.getJob("job-c", { timeoutMs: 300 }));
    await new Promise((r) => setTimeout(r, 100));
    const spy = jest.spyOn(Date, "now").mockImplementation(() => realNow() - 4000); // NTP steps the clock back 4 s
    const r = await p;
    spy.mockRestore();
    console.log("C", Math.round(r.ms), (r.err as SchedulerError)?.code);
    await client.close();
    await silent.close();
    expect((r.err as SchedulerError).code).toBe("TIMEOUT");
    expect(r.ms).toBeLessThan(1500);
  }, 20000);
});
