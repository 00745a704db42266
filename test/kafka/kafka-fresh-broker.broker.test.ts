/**
 * A broker that has just started: its group coordinator loads the consumer-offsets topic for a
 * while and answers group requests with COORDINATOR_LOAD_IN_PROGRESS (a retriable error) until it
 * is done. Production clusters do this after every restart. lag() waits it out instead of failing,
 * and a subscriber started at that moment handles its events without stopping.
 * Starts a broker of its own (scripts/kafka.sh, same version as the suite's) so it is fresh.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { type DeliveryFailure, encodeJobCompletedEvent, type JobCompletedEvent, KafkaJobCompletedSubscriber } from "@k1s0/scheduler-client";
import { describeKafka, uniqueGroup, waitFor } from "../support/kafka.js";

jest.setTimeout(180_000);

const ROOT = join(__dirname, "..", "..");

describeKafka("a freshly started broker (group coordinator still loading)", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "k1s0-fresh-kafka-"));
  const env = { ...process.env, KAFKA_STATE_DIR: stateDir, KAFKA_OWNER_PID: String(process.pid), KAFKA_PORT: "", KAFKA_CONTROLLER_PORT: "" };
  let brokers: string[];

  beforeAll(() => {
    const out = execFileSync("bash", [join(ROOT, "scripts", "kafka.sh"), "start"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    brokers = /^KAFKA_BROKERS=(.+)$/m.exec(out)![1].split(",");
  });
  afterAll(() => {
    execFileSync("bash", [join(ROOT, "scripts", "kafka.sh"), "stop"], { env, stdio: "ignore" });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("lag() retries while the coordinator loads; a subscriber started then handles its events without stopping", async () => {
    const kafka = new Kafka({ brokers, clientId: "k1s0-tests", logLevel: logLevel.NOTHING });
    const topic = `k1s0.test.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const groupId = uniqueGroup();
    const subscriber = new KafkaJobCompletedSubscriber({ brokers, topic, groupId, fromBeginning: true });
    // The first group request of this broker's life: the coordinator starts loading now.
    const started = Date.now();
    const lag = await subscriber.lag();
    console.info(`fresh broker: lag() answered after ${Date.now() - started} ms`);
    expect(lag).toEqual([{ topic, partition: 0, committed: -1, end: 0, lag: 0 }]);

    const failures: DeliveryFailure[] = [];
    const handled: string[] = [];
    const subscription = await subscriber.subscribe(async (e) => void handled.push(e.executionId), { onError: (f) => void failures.push(f) });
    try {
      const event: JobCompletedEvent = { jobId: "job-1", executionId: `exec-${randomUUID()}`, completedAt: new Date(Date.UTC(2040, 0, 1)), result: "succeeded", jobName: "fresh", attempt: 1 };
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [encodeJobCompletedEvent(event)] });
      await producer.disconnect();
      await waitFor(() => handled.length > 0, "the event handled", 60_000);
      expect(handled).toEqual([event.executionId]);
      expect(failures.filter((f) => f.restarting !== true)).toEqual([]);
      expect(subscription.health().state).toBe("running");
    } finally {
      await subscription.close();
    }
  });
});
