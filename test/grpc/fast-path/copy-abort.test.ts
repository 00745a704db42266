/** A request an interceptor copied still hears the caller's abort and the deadline. */
import type { Interceptor } from "@connectrpc/connect";
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { silentServer } from "../../support/silent-server.js";

it("a caller abort and a deadline end a call whose request an interceptor copied", async () => {
  const silent = await silentServer();
  const copying: Interceptor = (next) => (req) => next({ ...req });
  const client = new GrpcSchedulerClient(silent.url, { interceptors: [copying], retry: false });
  const ac = new AbortController();
  const t0 = performance.now();
  const p = client.getJob("x", { signal: ac.signal, timeoutMs: 10_000 }).then(() => "ok", (e: SchedulerError) => `${e.name}:${(e as { code?: string }).code ?? ""}`);
  setTimeout(() => ac.abort(new Error("stop")), 150);
  const aborted = await p;
  const t1 = performance.now();
  const timedOut = await client.getJob("y", { timeoutMs: 300 }).then(() => "ok", (e: SchedulerError) => e.code);
  const t2 = performance.now();
  console.log({ aborted, abortMs: Math.round(t1 - t0), timedOut, timeoutMs: Math.round(t2 - t1) });
  await client.close();
  await silent.close();
  expect(t1 - t0).toBeLessThan(1000);
  expect(timedOut).toBe("TIMEOUT");
  expect(t2 - t1).toBeLessThan(1200);
}, 20000);
