import { type ConsumerConfig, type IHeaders, Kafka, type KafkaMessage, Partitioners, type Producer } from "kafkajs";
import { SchedulerError } from "../errors/scheduler-error.js";
import { type DeliveryOutcome, EventDelivery } from "../events/event-delivery.js";
import { iterateEvents } from "../events/event-iterator.js";
import type {
  DeliveryFailure,
  JobCompletedHandler,
  JobCompletedSubscriber,
  SubscribeOptions,
  Subscription,
} from "../events/job-completed-subscriber.js";
import { silentLogger } from "../logging/logger.js";
import { decodeJobCompletedEvent } from "../mapping/event-codec.js";
import type { JobCompletedEvent } from "../types/execution.js";
import { invalid } from "../validation/invalid.js";
import { type KafkaConnectionOptions, kafkaConfig, kafkaTopic } from "./kafka-options.js";

/** Options of {@link KafkaJobCompletedSubscriber}. */
export interface KafkaJobCompletedSubscriberOptions extends KafkaConnectionOptions {
  /** Consumer group: instances with the same group share the partitions. Required. */
  groupId: string;
  /** Where a new group starts: the oldest retained event (`true`) or only new ones. @default false */
  fromBeginning?: boolean;
  /** Retries of a failing handler before the event is reported (and dead-lettered). @default 3 */
  handlerRetries?: number;
  /** Wait before the first handler retry; doubles per retry, capped at 5 s. @default 200 */
  retryBackoffMs?: number;
  /** Topic that receives events the handler could not process and records that do not decode. @default none */
  deadLetterTopic?: string;
  /** Drop an event whose `executionId` was handled within this many ms (0 = off). @default 0 */
  dedupeWindowMs?: number;
  /** Further kafkajs consumer settings (session timeout, ...). @default kafkajs defaults */
  consumer?: Omit<ConsumerConfig, "groupId">;
}

/**
 * Subscribes to `JobCompletedEvent`s on Kafka (topic `k1s0.system.scheduler.job_completed.v1`)
 * with kafkajs, at least once:
 * - an offset is committed only after the handler resolved for that event (or the event was
 *   reported as failed and dead-lettered), so a crash redelivers, never loses;
 * - a handler that throws is retried with backoff `handlerRetries` times, then the event goes
 *   to the dead-letter topic (if configured) and `onError`, and consumption goes on;
 * - a record that does not decode is reported the same way and never crashes the process;
 * - duplicates (after a rebalance or a restart) carry the same `executionId`; turn on
 *   `dedupeWindowMs` or make the handler idempotent.
 *
 * @example
 * ```ts
 * const sub = new KafkaJobCompletedSubscriber({ brokers: ["kafka:9092"], groupId: "report-service" });
 * const subscription = await sub.subscribe(async (event) => { ... }, { onError: (f) => log(f) });
 * await subscription.close();
 * ```
 */
export class KafkaJobCompletedSubscriber implements JobCompletedSubscriber {
  private readonly kafka: Kafka;
  private readonly topic: string;
  private readonly groupId: string;
  private readonly options: KafkaJobCompletedSubscriberOptions;

  /** @throws `INVALID_ARGUMENT` for bad brokers, topic, group or retry settings. */
  constructor(options: KafkaJobCompletedSubscriberOptions) {
    this.kafka = new Kafka(kafkaConfig(options));
    this.topic = kafkaTopic(options);
    if (typeof options.groupId !== "string" || options.groupId === "") {
      throw invalid("INVALID_ARGUMENT", "options.groupId", options.groupId, "must be a non-empty string");
    }
    if (options.deadLetterTopic !== undefined) kafkaTopic({ brokers: options.brokers, topic: options.deadLetterTopic }, "options.deadLetter");
    for (const [name, value] of [["handlerRetries", options.handlerRetries], ["retryBackoffMs", options.retryBackoffMs], ["dedupeWindowMs", options.dedupeWindowMs]] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
        throw invalid("INVALID_ARGUMENT", `options.${name}`, value, "must be a whole number >= 0");
      }
    }
    this.groupId = options.groupId;
    this.options = options;
  }

  /**
   * Joins the consumer group and starts calling `handler`.
   * @throws `SERVER_ERROR` (with the kafkajs error as `cause`) when the brokers cannot be reached
   * or the topic does not exist.
   */
  async subscribe(handler: JobCompletedHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const logger = this.options.logger ?? silentLogger;
    const delivery = new EventDelivery(handler, {
      handlerRetries: this.options.handlerRetries ?? 3,
      retryBackoffMs: this.options.retryBackoffMs ?? 200,
      dedupeWindowMs: this.options.dedupeWindowMs ?? 0,
    }, {
      onError: async (failure) => {
        logger.error("job-completed event could not be delivered", {
          reason: failure.reason,
          attempts: failure.attempts,
          executionId: failure.event?.executionId,
          record: failure.record,
          error: failure.error instanceof Error ? failure.error.message : String(failure.error),
        });
        await options.onError?.(failure);
      },
    });
    const consumer = this.kafka.consumer({ ...this.options.consumer, groupId: this.groupId });
    const deadLetters = this.options.deadLetterTopic === undefined ? undefined : this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer after retriable errors; otherwise it is gone for good.
      if (payload.restart) return;
      logger.error("job-completed consumer stopped", { topic: this.topic, groupId: this.groupId, error: payload.error.message });
      void options.onError?.({ reason: "consumer", error: payload.error, attempts: 0 });
    });
    try {
      await deadLetters?.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: this.options.fromBeginning ?? false });
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const heartbeat = () => payload.heartbeat();
          for (const message of batch.messages) {
            if (!payload.isRunning() || payload.isStale()) return;
            const record = { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString("utf8") ?? null };
            const outcome = await this.process(message, record, delivery, deadLetters, heartbeat);
            // Unacknowledged: stop here; the event is redelivered to this group later.
            if (outcome === "abandoned") return;
            payload.resolveOffset(message.offset);
            await heartbeat();
          }
        },
      });
    } catch (err) {
      await Promise.allSettled([consumer.disconnect(), deadLetters?.disconnect()]);
      throw new SchedulerError(`cannot subscribe to Kafka topic ${this.topic}: ${(err as Error).message}`, "SERVER_ERROR", { cause: err });
    }
    logger.info("subscribed to job-completed events", { topic: this.topic, groupId: this.groupId });
    let closing: Promise<void> | undefined;
    return {
      close: () =>
        (closing ??= (async () => {
          // Stops fetching, waits for the batch in progress, commits resolved offsets, leaves the group.
          await consumer.disconnect();
          await deadLetters?.disconnect();
          logger.info("job-completed subscription closed", { topic: this.topic, groupId: this.groupId });
        })()),
    };
  }

  events(options: SubscribeOptions & { signal?: AbortSignal } = {}): AsyncIterable<JobCompletedEvent> {
    const { signal, onError } = options;
    return iterateEvents(
      (handler, fail) =>
        this.subscribe(handler, {
          onError: async (failure) => {
            await onError?.(failure);
            if (failure.reason === "consumer") fail(failure.error);
          },
        }),
      signal,
    );
  }

  private async process(
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    delivery: EventDelivery,
    deadLetters: Producer | undefined,
    heartbeat: () => Promise<void>,
  ): Promise<DeliveryOutcome> {
    let event: JobCompletedEvent;
    try {
      event = decodeJobCompletedEvent(message.value, headerText(message.headers, "content-type"));
    } catch (error) {
      await this.deadLetter(deadLetters, message, record, "decode", error);
      await delivery.undecodable(error, record);
      return "failed";
    }
    return delivery.deliver(event, record, {
      beforeRetry: heartbeat,
      beforeReport: (error) => this.deadLetter(deadLetters, message, record, "handler", error),
    });
  }

  /** Publishes a failed record, untouched, with headers saying where it came from and why. */
  private async deadLetter(
    producer: Producer | undefined,
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    reason: string,
    error: unknown,
  ): Promise<void> {
    if (producer === undefined || this.options.deadLetterTopic === undefined) return;
    await producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            "x-k1s0-dead-letter-reason": reason,
            "x-k1s0-dead-letter-error": (error instanceof Error ? error.message : String(error)).slice(0, 1_000),
            "x-k1s0-source": `${record.topic}/${record.partition}/${record.offset}`,
          },
        },
      ],
    });
  }
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

