/**
 * Failures of the Kafka subscriber that must reach the user instead of looping unseen: a
 * dead-letter topic that cannot be written, consumer crashes, an onError that throws, a close()
 * that would wait for ever, a topic that does not exist yet. Against the real broker.
 */
import * as net from "node:net";
import { randomUUID } from "node:crypto";
import { ConfigResourceTypes } from "kafkajs";
import {
  type DeliveryFailure,
  encodeJobCompletedEvent,
  type JobCompletedEvent,
  KafkaJobCompletedSubscriber,
  SchedulerError,
  type Subscription,
} from "@k1s0/scheduler-client";
import { brokers, describeKafka, freshTopic, kafka, produce, uniqueGroup, waitFor } from "../support/kafka.js";

jest.setTimeout(60_000);

const event = (n: number): JobCompletedEvent => ({
  jobId: `job-${n}`,
  executionId: `exec-${n}-${randomUUID()}`,
  completedAt: new Date(Date.UTC(2040, 0, 1) + n),
  result: "succeeded",
  jobName: "failures",
  attempt: 1,
});

const publish = (topic: string, events: JobCompletedEvent[]): Promise<void> => produce(topic, events.map((e) => encodeJobCompletedEvent(e)));

type Options = ConstructorParameters<typeof KafkaJobCompletedSubscriber>[0];

function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields === undefined ? {} : { fields }) });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

describeKafka("KafkaJobCompletedSubscriber failures against a real broker", () => {
  const open: Subscription[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeAll(() => process.on("unhandledRejection", onUnhandled));
  afterAll(() => process.off("unhandledRejection", onUnhandled));
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((s) => s.close()));
  });

  function subscriber(topic: string, extra: Partial<Options> = {}) {
    return new KafkaJobCompletedSubscriber({ brokers: brokers!, topic, groupId: uniqueGroup(), fromBeginning: true, retryBackoffMs: 10, ...extra });
  }

  it("stops, once and visibly, when the dead-letter topic cannot be written: no loop, nothing committed, onError's own failure logged", async () => {
    const topic = await freshTopic();
    await publish(topic, [event(1), event(2), event(3)]);
    const groupId = uniqueGroup();
    const { lines, logger } = recordingLogger();
    const failures: DeliveryFailure[] = [];
    let calls = 0;
    const started = Date.now();
    // Producing to an internal topic is refused: the dead-letter write fails every time.
    const subscription = await subscriber(topic, { groupId, deadLetterTopic: "__consumer_offsets", handlerRetries: 0, logger }).subscribe(
      () => {
        calls++;
        throw new Error("handler fails");
      },
      {
        onError: async (f) => {
          failures.push(f);
          throw new Error("onError fails too");
        },
      },
    );
    open.push(subscription);
    // A fresh broker's group coordinator may still be loading: kafkajs then crashes and restarts
    // the consumer, reported with restarting: true. Those are not the stop this test is about.
    const stops = (): DeliveryFailure[] => failures.filter((f) => f.reason === "consumer" && f.restarting !== true);
    await waitFor(() => stops().length > 0, "the stop report", 20_000);
    const stoppedAfterMs = Date.now() - started;
    // Would a loop show up? Give kafkajs time to restart (it would, within ~1 s, if the consumer had crashed).
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const restarts = failures.filter((f) => f.restarting === true);
    expect(stops()).toHaveLength(1);
    expect(failures).toHaveLength(1 + restarts.length);
    const [failure] = stops();
    expect(failure).toMatchObject({ reason: "consumer", restarting: false });
    expect(failure.error).toBeInstanceOf(SchedulerError);
    expect(failure.error).toMatchObject({ code: "SERVER_ERROR", message: expect.stringContaining("dead-letter topic __consumer_offsets") });
    expect((failure.error as Error).message).toContain(`${topic}/0/0`);
    expect(calls).toBe(1); // the poison event was handled once, never again
    const health = subscription.health();
    expect(health).toMatchObject({ state: "stopped", crashes: restarts.length, lastError: failure.error });
    expect(await committedOffset(groupId, topic)).toBe(-1); // the failed event stays unacknowledged
    expect(lines.filter((l) => l.message === "writing to the dead-letter topic failed")).toHaveLength(3);
    expect(lines.some((l) => l.message === "onError of a job-completed subscription threw")).toBe(true);
    expect(unhandled).toEqual([]);
    console.info(`dead-letter failure: stopped after ${stoppedAfterMs} ms, handler calls ${calls}, onError calls ${failures.length}`);
  });

  it("a dead-letter topic that does not exist: a clear stop where the broker does not create topics, dead-lettered where it does", async () => {
    const topic = await freshTopic();
    const poison = event(1);
    await publish(topic, [poison, event(2)]);
    const deadLetterTopic = `k1s0.test.missing-dlq.${randomUUID()}`;
    const autoCreate = await brokerAutoCreatesTopics();
    const groupId = uniqueGroup();
    const failures: DeliveryFailure[] = [];
    const received: string[] = [];
    const subscription = await subscriber(topic, {
      groupId,
      deadLetterTopic,
      handlerRetries: 0,
      // Fewer kafkajs retries per dead-letter write: the test waits for three of them.
      kafka: { retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } },
    }).subscribe(
      (e) => {
        if (e.executionId === poison.executionId) throw new Error("poison");
        received.push(e.executionId);
      },
      { onError: (f) => void failures.push(f) },
    );
    open.push(subscription);
    const stops = (): DeliveryFailure[] => failures.filter((f) => f.reason === "consumer" && f.restarting !== true);
    if (autoCreate) {
      // The broker creates the topic on the first write: the poison record lands there, the rest goes on.
      await waitFor(() => received.length === 1, "the event after the poison one", 30_000);
      expect(failures.filter((f) => f.reason === "handler").map((f) => f.event?.executionId)).toEqual([poison.executionId]);
      expect(stops()).toEqual([]);
    } else {
      // The case from the field: auto-creation off. One visible stop, no restart loop, nothing acknowledged.
      await waitFor(() => stops().length > 0, "the stop report", 45_000);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(stops()).toHaveLength(1);
      expect(stops()[0].error).toMatchObject({ code: "SERVER_ERROR", message: expect.stringContaining(`dead-letter topic ${deadLetterTopic} (3 attempts)`) });
      expect(subscription.health()).toMatchObject({ state: "stopped" });
      expect(received).toEqual([]);
      expect(await committedOffset(groupId, topic)).toBe(-1);
    }
    console.info(`missing dead-letter topic, broker auto-creation ${autoCreate ? "on: dead-lettered, consumption went on" : "off: stopped once, visibly"}`);
  });

  it("reports kafkajs crashes with restart (onError, health 'restarting') and returns to 'running' when it rejoins", async () => {
    const topic = await freshTopic();
    // A socket factory (a public kafkajs option) that can cut the consumer off the broker for a while.
    let blocked = false;
    const sockets = new Set<net.Socket>();
    const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) => {
      const socket = net.connect({ host, port }, onConnect);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      if (blocked) setImmediate(() => socket.destroy(new Error("cut off by the test")));
      return socket;
    };
    const failures: DeliveryFailure[] = [];
    const received: string[] = [];
    const subscription = await subscriber(topic, {
      kafka: { socketFactory, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } },
    }).subscribe((e) => void received.push(e.executionId), { onError: (f) => void failures.push(f) });
    open.push(subscription);
    await waitFor(() => subscription.health().assignment.length > 0, "the first group join", 20_000);
    expect(subscription.health()).toMatchObject({ state: "running", crashes: 0, rebalances: 0, assignment: [{ topic, partition: 0 }] });

    blocked = true;
    for (const socket of sockets) socket.destroy(new Error("cut off by the test"));
    await waitFor(() => subscription.health().crashes > 0, "a crash", 20_000);
    const during = subscription.health();
    expect(during.state).toBe("restarting");
    expect(failures[0]).toMatchObject({ reason: "consumer", restarting: true });
    blocked = false;

    await waitFor(() => subscription.health().state === "running", "back to running", 20_000);
    const e = event(7);
    await publish(topic, [e]);
    await waitFor(() => received.includes(e.executionId), "an event after the restart", 20_000);
    const after = subscription.health();
    expect(after.rebalances).toBeGreaterThanOrEqual(1);
    expect(after.assignment).toEqual([{ topic, partition: 0 }]);
    expect(failures.every((f) => f.reason === "consumer" && f.restarting === true)).toBe(true);
    expect(failures).toHaveLength(after.crashes);
    console.info(`crash/restart: ${after.crashes} crash(es) reported, ${after.rebalances} rejoin(s), state ${after.state}`);
  });

  it("health() shows the assignment and counts rebalances when a second member joins", async () => {
    const topic = await freshTopic(2);
    const groupId = uniqueGroup();
    // Short heartbeats: the first member hears of the rebalance sooner.
    const fast = { groupId, consumer: { heartbeatInterval: 300 } };
    const one = await subscriber(topic, fast).subscribe(() => undefined);
    open.push(one);
    await waitFor(() => one.health().assignment.length === 2, "both partitions on the first member", 20_000);
    expect(one.health()).toMatchObject({ state: "running", crashes: 0, rebalances: 0 });
    const two = await subscriber(topic, fast).subscribe(() => undefined);
    open.push(two);
    await waitFor(() => one.health().assignment.length === 1 && two.health().assignment.length === 1, "one partition each", 30_000);
    expect(one.health().rebalances).toBeGreaterThanOrEqual(1);
    expect([...one.health().assignment, ...two.health().assignment].map((a) => a.partition).sort()).toEqual([0, 1]);
    await two.close();
    expect(two.health().state).toBe("closed");
  });

  it("lag() tells how many records the group has not acknowledged, per partition", async () => {
    const topic = await freshTopic(2);
    await produce(topic, [0, 1, 2, 3, 4].map((n) => ({ ...encodeJobCompletedEvent(event(n)), key: `k-${n % 2}` })));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    const subscription = await subscriber(topic).subscribe(async () => {
      await gate;
      handled++;
    });
    open.push(subscription);
    const before = await subscription.lag();
    expect(before.map((p) => p.partition)).toEqual([0, 1]);
    expect(before.reduce((sum, p) => sum + p.end, 0)).toBe(5);
    expect(before.reduce((sum, p) => sum + p.lag, 0)).toBe(5); // nothing acknowledged yet
    release();
    await waitFor(() => handled === 5, "all 5 handled", 20_000);
    const deadline = Date.now() + 15_000;
    let after = await subscription.lag();
    while (after.some((p) => p.lag > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await subscription.lag();
    }
    expect(after.map((p) => ({ committed: p.committed, lag: p.lag }))).toEqual(after.map((p) => ({ committed: p.end, lag: 0 })));
    console.info(`lag(): ${JSON.stringify(before.map((p) => p.lag))} before, ${JSON.stringify(after.map((p) => p.lag))} after handling`);
  });

  it("close() gives up on a handler that never settles after closeTimeoutMs, and still disconnects the dead-letter producer", async () => {
    const topic = await freshTopic();
    const deadLetterTopic = await freshTopic();
    await publish(topic, [event(1)]);
    const baseline = activeSockets();
    let started = false;
    let release: () => void = () => undefined;
    const { lines, logger } = recordingLogger();
    const subscription = await subscriber(topic, { deadLetterTopic, closeTimeoutMs: 1_000, logger }).subscribe(
      () =>
        new Promise<void>((resolve) => {
          started = true;
          release = resolve;
        }),
    );
    await waitFor(() => started, "the handler to start", 20_000);
    const t0 = Date.now();
    await expect(subscription.close()).rejects.toMatchObject({ code: "TIMEOUT", message: expect.stringContaining(topic) });
    const closeMs = Date.now() - t0;
    expect(closeMs).toBeGreaterThanOrEqual(1_000);
    expect(closeMs).toBeLessThan(3_000);
    expect(subscription.health().state).toBe("closed");
    // The producer is disconnected although the consumer is not yet.
    expect(lines.map((l) => l.message)).toContain("dead-letter producer disconnected");
    // Once the handler settles, the consumer finishes disconnecting: nothing is left behind.
    release();
    await waitFor(() => activeSockets() <= baseline, `sockets back to ${baseline} (now ${activeSockets()})`, 15_000);
    console.info(`close(): rejected with TIMEOUT after ${closeMs} ms (closeTimeoutMs 1000)`);
  });

  it("waits topicWaitMs for a topic that does not exist yet, and names the topic when it never comes", async () => {
    const noAutoCreate = { consumer: { allowAutoTopicCreation: false } };
    const missing = `k1s0.test.missing.${randomUUID()}`;
    let t0 = Date.now();
    await expect(subscriber(missing, noAutoCreate).subscribe(() => undefined)).rejects.toMatchObject({
      code: "SERVER_ERROR",
      message: expect.stringContaining(`Kafka topic ${missing} does not exist (waited 0 ms`),
    });
    const immediateMs = Date.now() - t0;
    t0 = Date.now();
    await expect(subscriber(missing, { ...noAutoCreate, topicWaitMs: 1_000 }).subscribe(() => undefined)).rejects.toMatchObject({
      message: expect.stringContaining(`Kafka topic ${missing} does not exist (waited 1000 ms`),
    });
    const expiredMs = Date.now() - t0;
    expect(expiredMs).toBeGreaterThanOrEqual(1_000);

    const later = `k1s0.test.later.${randomUUID()}`;
    t0 = Date.now();
    const created = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const admin = kafka().admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: later, numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
    })();
    const received: string[] = [];
    const subscription = await subscriber(later, { ...noAutoCreate, topicWaitMs: 15_000 }).subscribe((e) => void received.push(e.executionId));
    open.push(subscription);
    const waitedMs = Date.now() - t0;
    await created;
    const e = event(1);
    await publish(later, [e]);
    await waitFor(() => received.includes(e.executionId), "the event on the late topic", 20_000);
    expect(waitedMs).toBeGreaterThanOrEqual(1_500);
    console.info(`topicWaitMs: missing topic rejected after ${immediateMs} ms (default 0) and ${expiredMs} ms (1000); late topic subscribed after ${waitedMs} ms`);
  });
});

/** Whether the test broker creates topics on first use (CI runs brokers both ways). */
async function brokerAutoCreatesTopics(): Promise<boolean> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const { brokers: nodes } = await admin.describeCluster();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(nodes[0].nodeId), configNames: ["auto.create.topics.enable"] }],
    });
    return resources[0].configEntries.find((c) => c.configName === "auto.create.topics.enable")?.configValue === "true";
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset on partition 0 (-1 = none). */
async function committedOffset(groupId: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(offsets.partitions.find((p) => p.partition === 0)!.offset);
  } finally {
    await admin.disconnect();
  }
}

function activeSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
}
