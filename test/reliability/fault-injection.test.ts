import { randomUUID } from "node:crypto";
import { GrpcSchedulerClient, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { ChaosProxy } from "../support/chaos-proxy.js";

jest.setTimeout(300_000);

/** A small deterministic PRNG, so a failing run can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const report = (line: string): void => void process.stdout.write(`[fault-injection] ${line}\n`);

describe("fault injection: a TCP proxy resets connections at random under load", () => {
  it("5,000 mixed operations: exactly one job per idempotency key, every call settles, none hangs", async () => {
    const server = await createTestServer({ clock: "manual" });
    const random = mulberry32(20261129);
    const proxy = await ChaosProxy.start(server.port, random);
    // Every connection is reset (RST) at a random moment within 60 ms of opening: the client
    // keeps reconnecting, and calls die mid-flight - before, during and after the server's work.
    proxy.settings = { resetProbability: 1, resetWithinMs: 60, delayMs: 0 };
    const client = new GrpcSchedulerClient(proxy.url, {
      timeoutMs: 10_000,
      retry: { maxAttempts: 6, initialBackoffMs: 5, maxBackoffMs: 100 },
    });
    const keys: string[] = [];
    const created: string[] = [];
    let resolved = 0;
    let failed = 0;
    let foreign = 0;
    const hangGuardMs = 10_000 + 5_000;
    let hung = 0;
    const failureKinds = new Map<string, number>();
    const TOTAL = 5_000;
    const CONCURRENCY = 50;
    let next = 0;
    const operation = async (n: number): Promise<void> => {
      const kind = n % 5;
      let call: Promise<unknown>;
      if (kind <= 1 || created.length === 0) {
        const key = `key-${n}-${randomUUID()}`;
        keys.push(key);
        call = client
          .createJob({ name: key, idempotencyKey: key, schedule: { type: "interval", intervalMs: 3_600_000 }, payload: { n } })
          .then((job) => void created.push(job.id));
      } else {
        const id = created[Math.floor(random() * created.length)];
        call = kind === 2 ? client.pauseJob(id) : kind === 3 ? client.resumeJob(id) : client.getJob(id);
      }
      let timer: NodeJS.Timeout | undefined;
      const guard = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), hangGuardMs)));
      const outcome = await Promise.race([call.then(() => "ok" as const, (err: unknown) => err), guard]);
      clearTimeout(timer);
      if (outcome === "ok") resolved++;
      else if (outcome === "hung") hung++;
      else if (outcome instanceof SchedulerError) {
        failed++;
        failureKinds.set(outcome.message.slice(0, 90), (failureKinds.get(outcome.message.slice(0, 90)) ?? 0) + 1);
      }
      else foreign++;
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) await operation(next++);
      }),
    );
    proxy.settings.resetProbability = 0;
    // Count the jobs per key straight from the server, past the proxy.
    const direct = new GrpcSchedulerClient(server.url);
    const jobs = await direct.listJobs({}, { pageSize: 1_000 });
    const perKey = new Map<string, number>();
    for (const job of jobs) perKey.set(job.name, (perKey.get(job.name) ?? 0) + 1);
    const duplicates = [...perKey.values()].filter((n) => n > 1).length;
    report(
      `operations=${TOTAL} resolved=${resolved} failed(SchedulerError)=${failed} other-errors=${foreign} ` +
        `connections=${proxy.connections} faults-injected(resets)=${proxy.resets} keys=${keys.length} jobs=${jobs.length} ` +
        `duplicates=${duplicates} hangs=${hung}`,
    );
    report(`failures by message: ${JSON.stringify([...failureKinds])}`);
    expect({ foreign, hung, duplicates }).toEqual({ foreign: 0, hung: 0, duplicates: 0 });
    expect(resolved + failed).toBe(TOTAL);
    expect(proxy.resets).toBeGreaterThan(100);
    // Every create that resolved made its job; a create that failed made at most one.
    expect(jobs.length).toBeGreaterThanOrEqual(created.length);
    expect(jobs.length).toBeLessThanOrEqual(keys.length);
    await direct.close();
    await client.close();
    await proxy.close();
    await server.close();
  });

  it("a delaying network slows calls down; a black hole ends them with TIMEOUT, never a hang", async () => {
    const server = await createTestServer({ clock: "manual" });
    const proxy = await ChaosProxy.start(server.port);
    // Default keepalive: with sub-second pings, connect-node 2.1.2 can emit an unhandled "PING timed
    // out" error from its session manager here (seen once in CI; reported in the issue note).
    const client = new GrpcSchedulerClient(proxy.url, { timeoutMs: 1_000 });
    proxy.settings = { resetProbability: 0, resetWithinMs: 0, delayMs: 20 };
    const job = await client.createJob({ name: "slow", schedule: { type: "interval", intervalMs: 60_000 }, payload: null });
    expect((await client.getJob(job.id)).name).toBe("slow");
    proxy.settings = { resetProbability: 0, resetWithinMs: 0, delayMs: 0, drop: true };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => client.getJob(job.id).then(() => "ok", (err: unknown) => err)));
    expect(outcomes.every((o) => o instanceof SchedulerError && o.code === "TIMEOUT")).toBe(true);
    report(`black hole: calls=${outcomes.length} timeouts=${outcomes.length} bytes-dropped=${proxy.dropped}`);
    // The network heals: the client recovers (a fresh connection replaces the dead one).
    proxy.settings = { resetProbability: 0, resetWithinMs: 0, delayMs: 0 };
    proxy.resetAll();
    expect((await client.getJob(job.id)).name).toBe("slow");
    await client.close();
    await proxy.close();
    await server.close();
  });

  it("the server is killed and restarted on the same port mid-run: in-flight calls fail cleanly, later ones succeed", async () => {
    // closeGraceMs 0: open HTTP/2 sessions are destroyed at once - a crash, not a graceful stop.
    let server: TestServer = await createTestServer({ clock: "manual", closeGraceMs: 0 });
    const port = server.port;
    const client = new GrpcSchedulerClient(server.url, { timeoutMs: 3_000, retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 } });
    const existing = await client.createJob({ name: "before", schedule: { type: "interval", intervalMs: 60_000 }, payload: null });
    const settle = (p: Promise<unknown>) => p.then(() => "ok" as const, (err: unknown) => err);
    const inFlight = Array.from({ length: 300 }, (_, i) =>
      settle(
        i % 3 === 0
          ? client.createJob({ name: `during-${i}`, idempotencyKey: `during-${i}`, schedule: { type: "interval", intervalMs: 60_000 }, payload: { i } })
          : i % 3 === 1
            ? client.pauseJob(existing.id)
            : client.resumeJob(existing.id),
      ),
    );
    await server.close();
    const outcomes = await Promise.all(inFlight);
    // Each call either finished before the crash or failed with a SchedulerError: nothing else, nothing hangs.
    expect(outcomes.filter((o) => o !== "ok" && !(o instanceof SchedulerError))).toEqual([]);
    const codes = new Set(outcomes.map((o) => (o === "ok" ? "ok" : (o as SchedulerError).code)));
    expect([...codes].every((c) => c === "ok" || c === "SERVER_ERROR" || c === "TIMEOUT" || c === "JOB_NOT_FOUND")).toBe(true);

    server = await createTestServer({ clock: "manual", port });
    const after = await client.createJob({ name: "after", schedule: { type: "interval", intervalMs: 60_000 }, payload: null });
    expect((await client.getJob(after.id)).name).toBe("after");
    report(`restart: in-flight=${inFlight.length} outcomes=${[...codes].join(",")} reconnected=yes`);
    await client.close();
    await server.close();
  });
});
