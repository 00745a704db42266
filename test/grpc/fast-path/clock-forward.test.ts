/** Deadlines run on the monotonic clock: a wall-clock step does not cut a call short. */
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { silentServer } from "../../support/silent-server.js";

const timed = async (p: Promise<unknown>): Promise<[number, string]> => {
  const t0 = performance.now();
  const code = await p.then(() => "ok", (e: SchedulerError) => e.code);
  return [Math.round(performance.now() - t0), code];
};

it("a wall-clock step forward does not cut short the deadline of a call already in flight", async () => {
  const silent = await silentServer();
  const client = new GrpcSchedulerClient(silent.url, { retry: false });
  const realNow = Date.now.bind(Date);
  const a = timed(client.getJob("a", { timeoutMs: 300 }));
  const b = timed(client.getJob("b", { timeoutMs: 2500 }));
  await new Promise((r) => setTimeout(r, 100));
  const spy = jest.spyOn(Date, "now").mockImplementation(() => realNow() + 10_000); // NTP steps the clock forward 10 s
  const [ra, rb] = await Promise.all([a, b]);
  spy.mockRestore();
  console.log({ ra, rb });
  await client.close();
  await silent.close();
  expect(rb[1]).toBe("TIMEOUT");
  expect(rb[0]).toBeGreaterThan(2000);
}, 20000);
