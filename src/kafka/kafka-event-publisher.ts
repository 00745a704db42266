import type { Kafka, KafkaConfig, Producer } from "kafkajs";
import { encodeJobCompletedEvent } from "../mapping/event-codec.js";
import type { JobCompletedEvent } from "../types/execution.js";
import { type KafkaConnectionOptions, kafkaConfig, kafkaTopic } from "./kafka-options.js";
import { createKafka, loadKafkajs } from "./kafkajs-loader.js";

/** Options of the test server's Kafka publisher (`createTestServer({ kafka })`). */
export interface KafkaPublisherOptions extends KafkaConnectionOptions {
  /** Called when events could not be published by the time the publisher closed. @default ignore */
  onError?: (error: unknown, unpublished: JobCompletedEvent[]) => void;
  /** How long `close()` keeps trying to publish what is queued. @default 10000 */
  closeTimeoutMs?: number;
}

const MAX_BATCH = 500;

/**
 * Publishes `JobCompletedEvent`s (the test server's producer side). Events are queued and sent
 * in order by one loop, keyed by job id; a failed send is retried with backoff, never dropped,
 * until `close()` gives up after `closeTimeoutMs` and reports what is left through `onError`.
 */
export class KafkaEventPublisher {
  private readonly config: KafkaConfig;
  /** The kafkajs client and its producer, made on first use (`start()`): kafkajs is loaded only then. */
  private client: Promise<{ kafka: Kafka; producer: Producer }> | undefined;
  private readonly topic: string;
  private readonly queue: JobCompletedEvent[] = [];
  private draining: Promise<void> | undefined;
  private closingSince: number | undefined;

  constructor(private readonly options: KafkaPublisherOptions) {
    this.topic = kafkaTopic(options, "kafka");
    this.config = kafkaConfig(options, "kafka");
  }

  private connection(): Promise<{ kafka: Kafka; producer: Producer }> {
    return (this.client ??= (async () => {
      const { Partitioners } = await loadKafkajs();
      const kafka = await createKafka(this.config);
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      return { kafka, producer };
    })());
  }

  /**
   * Creates the topic if it does not exist yet (with the broker's defaults), so subscribers
   * can attach before the first event, then connects.
   */
  async start(): Promise<void> {
    const { kafka, producer } = await this.connection();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: this.topic }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await producer.connect();
  }

  /** Queues an event; it is sent in order after those queued before it. */
  publish(event: JobCompletedEvent): void {
    this.queue.push(event);
    this.draining ??= this.drain();
  }

  /** Sends what is queued (within `closeTimeoutMs`), then disconnects. */
  async close(): Promise<void> {
    this.closingSince = Date.now();
    await this.draining;
    // Never started (nor published to): nothing to disconnect, and no reason to load kafkajs.
    if (this.client !== undefined) await (await this.client).producer.disconnect();
  }

  /**
   * Sends until the queue is empty. `draining` is cleared in the same synchronous step as the
   * final empty-queue check, so a publish() can never queue an event that no drain will send.
   */
  private async drain(): Promise<void> {
    let backoffMs = 100;
    for (;;) {
      if (this.queue.length === 0) {
        this.draining = undefined;
        return;
      }
      const batch = this.queue.slice(0, MAX_BATCH);
      try {
        const { producer } = await this.connection();
        await producer.send({ topic: this.topic, acks: -1, messages: batch.map((e) => encodeJobCompletedEvent(e)) });
        this.queue.splice(0, batch.length);
        backoffMs = 100;
      } catch (error) {
        const limit = this.options.closeTimeoutMs ?? 10_000;
        if (this.closingSince !== undefined && Date.now() - this.closingSince >= limit) {
          const unpublished = this.queue.splice(0);
          this.options.logger?.error("job-completed events could not be published", { count: unpublished.length, error: String(error) });
          this.draining = undefined;
          this.options.onError?.(error, unpublished);
          return;
        }
        this.options.logger?.warn("publishing job-completed events failed; retrying", { error: String(error), backoffMs });
        await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }
}
