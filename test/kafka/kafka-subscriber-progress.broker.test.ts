/**
 * How the Kafka subscriber acknowledges as it goes, against the real broker: commits while a
 * batch is being handled (so a member that dies redelivers little), a handler slower than the
 * session timeout keeps its group membership, and partitions handled concurrently keep each
 * job's events in order.
 */
import { randomUUID } from "node:crypto";
import { encodeJobCompletedEvent, type JobCompletedEvent, KafkaJobCompletedSubscriber, type KafkaSubscription } from "@k1s0/scheduler-client";
import { brokers, describeKafka, freshTopic, produce, uniqueGroup, waitFor } from "../support/kafka.js";

jest.setTimeout(90_000);

const event = (n: number, jobId = `job-${n}`): JobCompletedEvent => ({
  jobId,
  executionId: `exec-${n}-${randomUUID()}`,
  completedAt: new Date(Date.UTC(2040, 0, 1) + n),
  result: "succeeded",
  jobName: "progress",
  attempt: 1,
});

type Options = ConstructorParameters<typeof KafkaJobCompletedSubscriber>[0];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeKafka("KafkaJobCompletedSubscriber acknowledgement progress against a real broker", () => {
  const open: KafkaSubscription[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((s) => s.close()));
  });

  const subscriber = (topic: string, extra: Partial<Options> = {}) =>
    new KafkaJobCompletedSubscriber({ brokers: brokers!, topic, groupId: uniqueGroup(), fromBeginning: true, ...extra });

  it("commits handled events while the batch is still being handled: the committed offset reaches the event in progress", async () => {
    const topic = await freshTopic();
    const total = 3_000;
    const blockedAt = 1_234;
    await produce(topic, Array.from({ length: total }, (_, n) => encodeJobCompletedEvent(event(n, "job-1"))));
    let handled = 0;
    let reached = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const groupId = uniqueGroup();
    const sub = subscriber(topic, { groupId, commitIntervalMs: 100 });
    const subscription = await sub.subscribe(async () => {
      if (handled === blockedAt) {
        reached = true;
        await gate;
      }
      handled++;
    });
    open.push(subscription);
    await waitFor(() => reached, `the handler at offset ${blockedAt}`, 30_000);
    // Everything before the event in progress is committed while that handler still runs.
    const committedWhileBlocked = await waitForCommitted(sub, blockedAt);
    expect(committedWhileBlocked).toBe(blockedAt);
    release();
    await waitFor(() => handled === total, "all events handled", 30_000);
    expect(await waitForCommitted(sub, total)).toBe(total);
    console.info(`commit progress: committed ${committedWhileBlocked} of ${total} while the handler of offset ${blockedAt} was in progress`);
  });

  it("a handler slower than the session timeout keeps the member in its group: no rebalance, no redelivery", async () => {
    const topic = await freshTopic();
    await produce(topic, [encodeJobCompletedEvent(event(1)), encodeJobCompletedEvent(event(2))]);
    const calls: string[] = [];
    const subscription = await subscriber(topic, { consumer: { sessionTimeout: 6_000, heartbeatInterval: 1_000 } }).subscribe(async (e) => {
      calls.push(e.jobId);
      // 7.5 s: longer than the 6 s session; without heartbeats meanwhile the broker would evict the member.
      if (e.jobId === "job-1") await sleep(7_500);
    });
    open.push(subscription);
    await waitFor(() => calls.length === 2, "both events", 40_000);
    await sleep(1_500); // a redelivery after an eviction would show up here
    expect(calls).toEqual(["job-1", "job-2"]);
    expect(subscription.health()).toMatchObject({ state: "running", rebalances: 0 });
  });

  it("partitionsConsumedConcurrently handles partitions in parallel and keeps each job's events in order", async () => {
    const topic = await freshTopic(3);
    const perJob = 30;
    const jobs = ["a", "b", "c", "d", "e", "f"];
    const records = jobs.flatMap((job, j) =>
      Array.from({ length: perJob }, (_, seq) => ({ partition: j % 3, ...encodeJobCompletedEvent({ ...event(seq, job), attempt: seq + 1 }) })),
    );
    await produce(topic, records);
    const run = async (options: Partial<Options>) => {
      const seen = new Map<string, number[]>();
      let inFlight = 0;
      let maxInFlight = 0;
      let handled = 0;
      const subscription = await subscriber(topic, options).subscribe(async (e) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await sleep(2);
        seen.set(e.jobId, [...(seen.get(e.jobId) ?? []), e.attempt]);
        inFlight--;
        handled++;
      });
      open.push(subscription);
      await waitFor(() => handled === records.length, "every event", 60_000);
      await subscription.close();
      return { seen, maxInFlight };
    };
    const concurrent = await run({ partitionsConsumedConcurrently: 3 });
    const serial = await run({});
    const inOrder = Array.from({ length: perJob }, (_, i) => i + 1);
    for (const job of jobs) {
      expect(concurrent.seen.get(job)).toEqual(inOrder);
      expect(serial.seen.get(job)).toEqual(inOrder);
    }
    expect(serial.maxInFlight).toBe(1);
    expect(concurrent.maxInFlight).toBeGreaterThan(1);
    console.info(`partitionsConsumedConcurrently: at most ${concurrent.maxInFlight} handlers at once with 3, ${serial.maxInFlight} by default; per-job order kept`);
  });

  it("lag() of the subscriber reads a group's lag without subscribing (another process of the group, a probe)", async () => {
    const topic = await freshTopic(2);
    const groupId = uniqueGroup();
    await produce(topic, [0, 1, 2].map((n) => ({ partition: n % 2, ...encodeJobCompletedEvent(event(n)) })));
    let handled = 0;
    const subscription = await subscriber(topic, { groupId }).subscribe(() => void handled++);
    await waitFor(() => handled === 3, "3 events", 30_000);
    await subscription.close();
    await produce(topic, [3, 4].map((n) => ({ partition: 1, ...encodeJobCompletedEvent(event(n)) })));
    const lag = await subscriber(topic, { groupId }).lag();
    expect(lag).toEqual([
      { topic, partition: 0, committed: 2, end: 2, lag: 0 },
      { topic, partition: 1, committed: 1, end: 3, lag: 2 },
    ]);
    await expect(subscriber(`k1s0.test.none.${randomUUID()}`, { groupId, kafka: { retry: { retries: 0 } } }).lag()).rejects.toMatchObject({
      code: "SERVER_ERROR",
      message: expect.stringContaining(`cannot read the lag of group ${groupId}`),
    });
  });
});

/** Polls the group's committed offset on partition 0 until it reaches `expected` (or 15 s pass); returns the last one read. */
async function waitForCommitted(sub: KafkaJobCompletedSubscriber, expected: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [partition] = await sub.lag();
    if (partition.committed >= expected || Date.now() > deadline) return partition.committed;
    await sleep(100);
  }
}

