import { randomUUID } from "node:crypto";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { fixRequestQueueTimerLoop } from "../../src/kafka/kafkajs-request-queue-fix.js";

// The tests' own kafkajs clients get the fix the SDK's loader applies to its own (no 1 ms timer
// loop per connection, no TimeoutNegativeWarning on Node.js 23+).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs's internal module, as the loader loads it
fixRequestQueueTimerLoop(require("kafkajs/src/network/requestQueue/index.js") as { prototype: object });

/** Brokers of the test broker, or undefined when the Kafka tests are skipped. */
export const brokers = process.env.KAFKA_BROKERS?.split(",");

/** `describe` when a broker is there; otherwise `describe.skip`, with the reason in the name. */
export const describeKafka = (name: string, fn: () => void): void =>
  brokers === undefined
    ? describe.skip(`${name} [skipped: ${process.env.K1S0_KAFKA_SKIP_REASON ?? "no KAFKA_BROKERS"}]`, fn)
    : describe(name, fn);

export function kafka(): Kafka {
  return new Kafka({ brokers: brokers ?? [], clientId: "k1s0-tests", logLevel: logLevel.NOTHING });
}

/** Creates a fresh topic (and waits until it is usable), so tests never see each other's records. */
export async function freshTopic(partitions = 1): Promise<string> {
  const topic = `k1s0.test.${randomUUID()}`;
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Creates `topic` unless it exists (brokers in CI run with topic auto-creation on and off). */
export async function ensureTopic(topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Produces raw records to a topic. */
export async function produce(topic: string, messages: { key?: string; value: Buffer | string | null; headers?: Record<string, string> }[]): Promise<void> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Resolves when `condition()` holds; rejects after `timeoutMs` (a hang guard, not a speed check). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const uniqueGroup = (): string => `k1s0-test-group-${randomUUID()}`;
