import { randomUUID } from "node:crypto";
import {
  type DeliveryFailure,
  encodeJobCompletedEvent,
  GrpcSchedulerClient,
  type JobCompletedEvent,
  KafkaJobCompletedSubscriber,
  type Subscription,
} from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { KafkaEventPublisher } from "../../src/kafka/kafka-event-publisher.js";
import { brokers, describeKafka, freshTopic, kafka, produce, uniqueGroup, waitFor } from "../support/kafka.js";

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
    const one = await subscriber(topic, { groupId }).subscribe(async (e) => {
      seen.add(e.executionId);
      first++;
      await new Promise((resolve) => setImmediate(resolve));
    });
    await waitFor(() => first >= 100, "100 events in the first run");
    await one.close();
    const stoppedAt = first;
    const two = await subscriber(topic, { groupId }).subscribe((e) => void seen.add(e.executionId));
    open.push(two);
    await waitFor(() => seen.size === 300, "all 300 events across the restart");
    expect(stoppedAt).toBeLessThan(300);
  });

  it("acknowledges only what an events() loop consumed: a new subscriber resumes after it", async () => {
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
    await waitFor(() => secondRun.length >= 6, "the rest");
    expect(firstRun).toEqual(events.slice(0, 4).map((e) => e.executionId));
    expect(secondRun).toEqual(events.slice(4).map((e) => e.executionId));
  });

  it("closes during traffic without leaving sockets or timers behind", async () => {
    const topic = await freshTopic();
    const baseline = activeHandles();
    const publisher = new KafkaEventPublisher({ brokers: brokers!, topic });
    await publisher.start();
    let received = 0;
    const subscription = await subscriber(topic).subscribe(async () => {
      received++;
      await new Promise((resolve) => setImmediate(resolve));
    });
    for (let n = 0; n < 500; n++) publisher.publish(event(n));
    await waitFor(() => received > 0, "traffic");
    await subscription.close();
    await publisher.close();
    await waitFor(() => activeHandles() <= baseline, `handles back to ${baseline} (now ${activeHandles()}: ${process.getActiveResourcesInfo().join(",")})`, 10_000);
  });

  it("rejects bad options before connecting", () => {
    expect(() => new KafkaJobCompletedSubscriber({ brokers: [], groupId: "g" })).toThrow(expect.objectContaining({ field: "options.brokers" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["localhost"], groupId: "g" })).toThrow(expect.objectContaining({ field: "options.brokers" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["h:1"], groupId: "" })).toThrow(expect.objectContaining({ field: "options.groupId" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["h:1"], groupId: "g", topic: "bad topic" })).toThrow(expect.objectContaining({ field: "options.topic" }));
    expect(() => new KafkaJobCompletedSubscriber({ brokers: ["h:1"], groupId: "g", handlerRetries: -1 })).toThrow(expect.objectContaining({ field: "options.handlerRetries" }));
  });
});

/** Sockets and timers alive in this process (what --detectOpenHandles would report). */
function activeHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "Timeout").length;
}
