import { randomUUID } from "node:crypto";
import {
  type DeliveryFailure,
  encodeJobCompletedEvent,
  GrpcSchedulerClient,
  JOB_COMPLETED_TOPIC,
  type JobCompletedEvent,
  KafkaJobCompletedSubscriber,
  type Subscription,
} from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { KafkaEventPublisher } from "../../src/kafka/kafka-event-publisher.js";
import { brokers, describeKafka, ensureTopic, freshTopic, kafka, produce, uniqueGroup, waitFor } from "../support/kafka.js";

jest.setTimeout(120_000);

const event = (n: number, jobId = `job-${n % 7}`): JobCompletedEvent => ({
  jobId,
  executionId: `exec-${n}-${randomUUID()}`,
  completedAt: new Date(Date.UTC(2040, 0, 1) + n),
  result: "succeeded",
  jobName: "bulk",
  attempt: 1,
});

async function publish(topic: string, events: JobCompletedEvent[]): Promise<void> {
  await produce(topic, events.map((e) => encodeJobCompletedEvent(e)));
}

describeKafka("KafkaJobCompletedSubscriber against a real broker", () => {
  const open: Subscription[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  function subscriber(topic: string, extra: Partial<ConstructorParameters<typeof KafkaJobCompletedSubscriber>[0]> = {}) {
    return new KafkaJobCompletedSubscriber({ brokers: brokers!, topic, groupId: uniqueGroup(), fromBeginning: true, retryBackoffMs: 10, ...extra });
  }

  it("closes the whole loop: gRPC create -> engine fires -> Kafka -> handler, for cron, one-shot and interval jobs", async () => {
    const topic = await freshTopic();
    const start = new Date(Date.UTC(2040, 0, 1));
    const server = await createTestServer({ clock: "manual", startTime: start, kafka: { brokers: brokers!, topic } });
    const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
    const received: JobCompletedEvent[] = [];
    open.push(await subscriber(topic).subscribe((e) => void received.push(e)));
    const cron = await client.createJob({ name: "cron", schedule: { type: "cron", expression: "0 * * * *" }, payload: {} });
    const shot = await client.createJob({ name: "shot", schedule: { type: "one_shot", runAt: new Date(start.getTime() + 90_000) }, payload: {} });
    const every = await client.createJob({ name: "every", schedule: { type: "interval", intervalMs: 600_000 }, payload: {} });
    await server.advanceTime(3_600_000);
    const executions = [
      ...(await client.getExecutions(cron.id)),
      ...(await client.getExecutions(shot.id)),
      ...(await client.getExecutions(every.id)),
    ];
    expect(executions).toHaveLength(1 + 1 + 6);
    await waitFor(() => received.length >= executions.length, "8 events");
    expect(new Set(received.map((e) => e.executionId))).toEqual(new Set(executions.map((e) => e.id)));
    expect(received.find((e) => e.jobId === shot.id)).toMatchObject({ jobName: "shot", result: "succeeded", attempt: 1 });
    await client.close();
    await server.close();
  });

  it("delivers 1,000 events, every executionId at least once, in order per job", async () => {
    const topic = await freshTopic(3);
    const events = Array.from({ length: 1_000 }, (_, n) => event(n));
    const publisher = new KafkaEventPublisher({ brokers: brokers!, topic });
    await publisher.start();
    for (const e of events) publisher.publish(e);
    await publisher.close();
    const received: JobCompletedEvent[] = [];
    open.push(await subscriber(topic).subscribe((e) => void received.push(e)));
    await waitFor(() => new Set(received.map((e) => e.executionId)).size === 1_000, "1,000 distinct events");
    for (let job = 0; job < 7; job++) {
      const times = received.filter((e) => e.jobId === `job-${job}`).map((e) => e.completedAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it("reports a poison message once, dead-letters it, and still delivers the others", async () => {
    const topic = await freshTopic();
    const deadLetterTopic = await freshTopic();
    const before = Array.from({ length: 10 }, (_, n) => event(n));
    const after = Array.from({ length: 10 }, (_, n) => event(100 + n));
    await publish(topic, before);
    await produce(topic, [{ key: "poison", value: "this is not an event", headers: { "content-type": "application/json" } }]);
    await publish(topic, after);
    const received: string[] = [];
    const failures: DeliveryFailure[] = [];
    const logged: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => void logged.push(m) };
    open.push(
      await subscriber(topic, { deadLetterTopic, logger }).subscribe((e) => void received.push(e.executionId), {
        onError: (f) => void failures.push(f),
      }),
    );
    await waitFor(() => received.length === 20, "20 good events");
    expect(received).toEqual([...before, ...after].map((e) => e.executionId));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: "decode", attempts: 0, record: { topic, partition: 0, offset: "10", key: "poison" } });
    expect(failures[0].error).toMatchObject({ code: "INVALID_ARGUMENT", field: "event" });

    const dead: { value: string; reason: string; source: string }[] = [];
    const reader = kafka().consumer({ groupId: uniqueGroup() });
    await reader.connect();
    await reader.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) =>
        void dead.push({
          value: message.value!.toString(),
          reason: message.headers!["x-k1s0-dead-letter-reason"]!.toString(),
          source: message.headers!["x-k1s0-source"]!.toString(),
        }),
    });
    await waitFor(() => dead.length === 1, "the dead letter");
    await reader.disconnect();
    expect(dead).toEqual([{ value: "this is not an event", reason: "decode", source: `${topic}/0/10` }]);
  });

  it("retries a handler that fails twice, then succeeds, without reporting it", async () => {
    const topic = await freshTopic();
    const events = [event(1), event(2), event(3)];
    await publish(topic, events);
    const calls = new Map<string, number>();
    const handled: string[] = [];
    const onError = jest.fn();
    open.push(
      await subscriber(topic).subscribe(
        (e) => {
          const n = (calls.get(e.executionId) ?? 0) + 1;
          calls.set(e.executionId, n);
          if (e.executionId === events[1].executionId && n <= 2) throw new Error(`flaky ${n}`);
          handled.push(e.executionId);
        },
        { onError },
      ),
    );
    await waitFor(() => handled.length === 3, "3 handled events");
    expect(handled).toEqual(events.map((e) => e.executionId));
    expect(calls.get(events[1].executionId)).toBe(3);
    expect(onError).not.toHaveBeenCalled();
  });

  it("loses nothing when the subscriber restarts mid-stream (same group)", async () => {
    const topic = await freshTopic(2);
    const events = Array.from({ length: 300 }, (_, n) => event(n));
    await publish(topic, events);
    const groupId = uniqueGroup();
    const seen = new Set<string>();
    let first = 0;
    // Closed from the 100th event on, not after polling for it: the subscriber handles the other
    // 200 events in less than a polling interval, which would leave nothing for the restart.
    let hundred: () => void = () => undefined;
    const reachedHundred = new Promise<void>((resolve) => (hundred = resolve));
    const one = await subscriber(topic, { groupId }).subscribe(async (e) => {
      seen.add(e.executionId);
      if (++first === 100) hundred();
      await new Promise((resolve) => setImmediate(resolve));
    });
    await reachedHundred;
    await one.close();
    const stoppedAt = first;
    // close() committed exactly what the handler finished: no more (loss), no less (replay).
    expect(await committed(groupId, topic)).toBe(stoppedAt);
    const two = await subscriber(topic, { groupId }).subscribe((e) => void seen.add(e.executionId));
    open.push(two);
    await waitFor(() => seen.size === 300, "all 300 events across the restart");
    expect(stoppedAt).toBeLessThan(300);
  });

  it("acknowledges only what an events() loop moved past: a new subscriber resumes at the event in hand", async () => {
    const topic = await freshTopic();
    const events = Array.from({ length: 10 }, (_, n) => event(n));
    await publish(topic, events);
    const groupId = uniqueGroup();
    const firstRun: string[] = [];
    for await (const e of subscriber(topic, { groupId }).events()) {
      firstRun.push(e.executionId);
      if (firstRun.length === 4) break;
    }
    const secondRun: string[] = [];
    open.push(await subscriber(topic, { groupId }).subscribe((e) => void secondRun.push(e.executionId)));
    await waitFor(() => secondRun.length >= 7, "the rest");
    expect(firstRun).toEqual(events.slice(0, 4).map((e) => e.executionId));
    // The loop broke while holding the 4th event: not acknowledged, so delivered again.
    expect(secondRun).toEqual(events.slice(3).map((e) => e.executionId));
  });

  it("closes during traffic without leaving sockets or timers behind", async () => {
    const topic = await freshTopic();
    const baseline = activeHandles();
    const publisher = new KafkaEventPublisher({ brokers: brokers!, topic });
    await publisher.start();
    let received = 0;
    const groupId = uniqueGroup();
    const subscription = await subscriber(topic, { groupId }).subscribe(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      received++;
    });
    for (let n = 0; n < 500; n++) publisher.publish(event(n));
    await waitFor(() => received > 0, "traffic");
    await subscription.close();
    await publisher.close();
    // The handler in progress at close() finished, and what finished is what was committed.
    expect(await committed(groupId, topic)).toBe(received);
    await waitFor(() => activeHandles() <= baseline, `handles back to ${baseline} (now ${activeHandles()}: ${process.getActiveResourcesInfo().join(",")})`, 10_000);
  });

  it("reads only new events by default, on the default topic", async () => {
    const old = event(1);
    await ensureTopic(JOB_COMPLETED_TOPIC);
    await publish(JOB_COMPLETED_TOPIC, [old]);
    const received: string[] = [];
    const sub = new KafkaJobCompletedSubscriber({ brokers: brokers!, groupId: uniqueGroup() });
    open.push(await sub.subscribe((e) => void received.push(e.executionId)));
    // A fresh group starts at the end: publish until one new event arrives (the group may still be joining).
    const fresh: string[] = [];
    for (let i = 0; i < 100 && received.length === 0; i++) {
      const e = event(1000 + i);
      fresh.push(e.executionId);
      await publish(JOB_COMPLETED_TOPIC, [e]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitFor(() => received.length > 0, "a new event");
    expect(received).not.toContain(old.executionId);
    expect(fresh).toContain(received[0]);
  });

  it("dead-letters an event whose handler keeps failing, reports it once, and goes on", async () => {
    const topic = await freshTopic();
    const deadLetterTopic = await freshTopic();
    const events = [event(1), event(2), event(3)];
    await publish(topic, events);
    const handled: string[] = [];
    const failures: DeliveryFailure[] = [];
    let calls = 0;
    open.push(
      await subscriber(topic, { deadLetterTopic, handlerRetries: 2 }).subscribe(
        (e) => {
          if (e.executionId === events[1].executionId) {
            calls++;
            throw new Error("cannot process");
          }
          handled.push(e.executionId);
        },
        { onError: (f) => void failures.push(f) },
      ),
    );
    await waitFor(() => handled.length === 2, "the two good events");
    expect(calls).toBe(3);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: "handler", attempts: 3, event: events[1], record: { offset: "1" } });
    const dead = await readAll(deadLetterTopic, 1);
    expect(dead[0]).toMatchObject({ reason: "handler", error: "cannot process", executionId: events[1].executionId });
  });

  it("drops repeated executionIds within the dedupe window", async () => {
    const topic = await freshTopic();
    const e = event(1);
    await publish(topic, [e, e, event(2), e]);
    const handled: string[] = [];
    open.push(await subscriber(topic, { dedupeWindowMs: 60_000 }).subscribe((x) => void handled.push(x.executionId)));
    await waitFor(() => handled.length >= 2, "two distinct events");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled).toHaveLength(2);
  });

  it("reports a consumer that stops for good, and ends an events() loop with its error", async () => {
    const topic = await freshTopic();
    await publish(topic, [event(1)]);
    // Producing to an internal topic is refused without retry: the consumer dies.
    const broken = { deadLetterTopic: "__consumer_offsets", handlerRetries: 0 };
    const failures: DeliveryFailure[] = [];
    open.push(
      await subscriber(topic, broken).subscribe(
        () => {
          throw new Error("handler fails");
        },
        { onError: (f) => void failures.push(f) },
      ),
    );
    await waitFor(() => failures.some((f) => f.reason === "consumer"), "the consumer failure");
    expect(failures.find((f) => f.reason === "consumer")!.error).toBeInstanceOf(Error);

    const loop = (async () => {
      for await (const _ of subscriber(topic, broken).events()) throw new Error("handler fails");
    })();
    await expect(loop).rejects.toThrow();
  });

  it("rejects bad options before connecting", () => {
    expect(() => new KafkaJobCompletedSubscriber({ brokers: [], groupId: "g" })).toThrow(expect.objectContaining({ field: "options.brokers" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["localhost"], groupId: "g" })).toThrow(expect.objectContaining({ field: "options.brokers" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["h:1"], groupId: "" })).toThrow(expect.objectContaining({ field: "options.groupId" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["h:1"], groupId: "g", topic: "bad topic" })).toThrow(expect.objectContaining({ field: "options.topic" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["h:1"], groupId: "g", handlerRetries: -1 })).toThrow(expect.objectContaining({ field: "options.handlerRetries" }));
  });
});

/** The group's committed offsets on the topic, summed over partitions (-1 = none counts as 0). */
async function committed(groupId: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets.partitions.reduce((sum, p) => sum + Math.max(Number(p.offset), 0), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Reads `count` dead letters from a topic. */
async function readAll(topic: string, count: number): Promise<{ reason: string; error: string; executionId: string }[]> {
  const out: { reason: string; error: string; executionId: string }[] = [];
  const reader = kafka().consumer({ groupId: uniqueGroup() });
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) =>
      void out.push({
        reason: message.headers!["x-k1s0-dead-letter-reason"]!.toString(),
        error: message.headers!["x-k1s0-dead-letter-error"]!.toString(),
        executionId: (JSON.parse(message.value!.toString()) as { executionId: string }).executionId,
      }),
  });
  await waitFor(() => out.length >= count, `${count} dead letters`);
  await reader.disconnect();
  return out;
}

/** Sockets and timers alive in this process (what --detectOpenHandles would report). */
function activeHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "Timeout").length;
}
