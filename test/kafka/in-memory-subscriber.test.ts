import { type DeliveryFailure, InMemoryJobCompletedSubscriber, InMemorySchedulerClient, type JobCompletedEvent, type JobCompletedSubscriber } from "@k1s0/scheduler-client";

const tick = { name: "tick", schedule: { type: "interval" as const, intervalMs: 1_000 }, payload: null };

/** A service's consumer, written once against the interface. */
async function countSucceeded(subscriber: JobCompletedSubscriber, counts: Map<string, number>) {
  return subscriber.subscribe((event) => {
    if (event.result === "succeeded") counts.set(event.jobId, (counts.get(event.jobId) ?? 0) + 1);
  });
}

describe("InMemorySchedulerClient.subscriber()", () => {
  it("delivers events in order, visible as soon as advanceTime resolves", async () => {
    const client = new InMemorySchedulerClient({ clock: "manual" });
    const counts = new Map<string, number>();
    const subscription = await countSucceeded(client.subscriber(), counts);
    const job = await client.createJob(tick);
    await client.advanceTime(5_000);
    expect(counts.get(job.id)).toBe(5);
    await subscription.close();
    await client.advanceTime(5_000);
    expect(counts.get(job.id)).toBe(5);
  });

  it("retries a failing handler, then reports to onError and goes on", async () => {
    const client = new InMemorySchedulerClient({ clock: "manual", startTime: new Date(Date.UTC(2040, 0, 1)) });
    const failures: DeliveryFailure[] = [];
    const handled: number[] = [];
    let calls = 0;
    const subscription = await client.subscriber({ handlerRetries: 2 }).subscribe(
      async (event) => {
        calls++;
        if (event.completedAt.getTime() % 2_000 !== 0) throw new Error("odd second");
        handled.push(event.completedAt.getTime());
      },
      { onError: (f) => void failures.push(f) },
    );
    const start = client.now().getTime();
    await client.createJob(tick);
    await client.advanceTime(4_000);
    await subscription.close();
    const expectedEven = [2, 4].map((n) => start + n * 1_000);
    expect(handled).toEqual(expectedEven);
    expect(failures).toHaveLength(2);
    expect(failures.every((f) => f.reason === "handler" && f.attempts === 3)).toBe(true);
    expect(calls).toBe(2 + 2 * 3);
  });

  it("offers the events as an async iterable that ends on abort", async () => {
    const client = new InMemorySchedulerClient({ clock: "manual" });
    await client.createJob(tick);
    const controller = new AbortController();
    const seen: JobCompletedEvent[] = [];
    const consuming = (async () => {
      for await (const event of client.subscriber().events({ signal: controller.signal })) {
        seen.push(event);
        if (seen.length === 3) controller.abort();
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i++) await client.advanceTime(1_000);
    await consuming;
    expect(seen.map((e) => e.attempt)).toEqual([1, 1, 1]);
  });

  it("deduplicates by executionId when asked", async () => {
    const listeners: ((e: JobCompletedEvent) => void)[] = [];
    const source = { onJobCompleted: (l: (e: JobCompletedEvent) => void) => (listeners.push(l), () => undefined) };
    const seen: string[] = [];
    const sub = await new InMemoryJobCompletedSubscriber(source, { dedupeWindowMs: 60_000 }).subscribe((e) => void seen.push(e.executionId));
    const e = { jobId: "j", executionId: "x", completedAt: new Date(), result: "succeeded" as const, jobName: "n", attempt: 1 };
    listeners[0](e);
    listeners[0](e);
    expect(seen).toEqual(["x"]);
    await sub.close();
  });
});
