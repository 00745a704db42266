import type { ConsumerConfig, EachBatchPayload, IHeaders, Kafka, KafkaConfig, KafkaMessage, Producer } from "kafkajs";
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
import { createKafka, loadKafkajs } from "./kafkajs-loader.js";

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
 * kafkajs is loaded by the first `subscribe()`, not when the package is imported.
 *
 * @example
 * ```ts
 * const sub = new KafkaJobCompletedSubscriber({ brokers: ["kafka:9092"], groupId: "report-service" });
 * const subscription = await sub.subscribe(async (event) => { ... }, { onError: (f) => log(f) });
 * await subscription.close();
 * ```
 */
export class KafkaJobCompletedSubscriber implements JobCompletedSubscriber {
  private readonly config: KafkaConfig;
  /** The kafkajs client, made by the first `subscribe()`: kafkajs is loaded only then. */
  private kafka: Promise<Kafka> | undefined;
  private readonly topic: string;
  private readonly groupId: string;
  private readonly options: KafkaJobCompletedSubscriberOptions;

  /** @throws `INVALID_ARGUMENT` for bad brokers, topic, group or retry settings. */
  constructor(options: KafkaJobCompletedSubscriberOptions) {
    this.config = kafkaConfig(options);
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
    const { Partitioners } = await loadKafkajs();
    const kafka = await (this.kafka ??= createKafka(this.config));
    const consumer = kafka.consumer({ ...this.options.consumer, groupId: this.groupId });
    const deadLetters = this.options.deadLetterTopic === undefined ? undefined : kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
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
        eachBatch: (payload) => this.consumeBatch(payload, delivery, deadLetters),
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

  /**
   * Delivers one fetched batch (one partition's records, in order). An offset is resolved (marked
   * for the next commit) only once its event was handled or reported; unacknowledged, the loop
   * stops and the rest of the batch is redelivered later.
   *
   * kafkajs commits resolved offsets after the batch, or when a heartbeat finds the group
   * rebalancing; so handled offsets are resolved in one go before each heartbeat and when the batch
   * ends, however it ends. Heartbeats (which send a request only every `heartbeatInterval`) are
   * offered at most every {@link HEARTBEAT_CHECK_MS} while events are handled quickly, and after
   * every event of a slow handler.
   */
  private async consumeBatch(payload: EachBatchPayload, delivery: EventDelivery, deadLetters: Producer | undefined): Promise<void> {
    const { batch } = payload;
    let handled: string | undefined;
    const resolveHandled = () => {
      if (handled === undefined) return;
      payload.resolveOffset(handled);
      handled = undefined;
    };
    const heartbeat = () => {
      resolveHandled();
      return payload.heartbeat();
    };
    let nextHeartbeat = Date.now() + HEARTBEAT_CHECK_MS;
    try {
      for (const message of batch.messages) {
        if (!payload.isRunning() || payload.isStale()) return;
        const record = { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString("utf8") ?? null };
        // Synchronous when the handler is: no promise to wait for then.
        let outcome = this.process(message, record, delivery, deadLetters, heartbeat);
        if (typeof outcome !== "string") outcome = await outcome;
        // Unacknowledged: stop here; the event is redelivered to this group later.
        if (outcome === "abandoned") return;
        handled = message.offset;
        if (Date.now() >= nextHeartbeat) {
          await heartbeat();
          nextHeartbeat = Date.now() + HEARTBEAT_CHECK_MS;
        }
      }
    } finally {
      resolveHandled();
    }
  }

  /** Decodes and delivers one record; returns the outcome, or a promise of it when there is something to wait for. */
  private process(
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    delivery: EventDelivery,
    deadLetters: Producer | undefined,
    heartbeat: () => Promise<void>,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    let event: JobCompletedEvent;
    try {
      event = decodeJobCompletedEvent(message.value, headerText(message.headers, "content-type"));
    } catch (error) {
      return this.undecodable(message, record, delivery, deadLetters, error);
    }
    return delivery.deliver(event, record, {
      beforeRetry: heartbeat,
      beforeReport: (error) => this.deadLetter(deadLetters, message, record, "handler", error),
    });
  }

  /** A record that does not decode: dead-lettered (if configured) and reported. */
  private async undecodable(
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    delivery: EventDelivery,
    deadLetters: Producer | undefined,
    error: unknown,
  ): Promise<DeliveryOutcome> {
    await this.deadLetter(deadLetters, message, record, "decode", error);
    await delivery.undecodable(error, record);
    return "failed";
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

/** How often a batch loop that handles events quickly offers kafkajs a heartbeat. */
const HEARTBEAT_CHECK_MS = 50;

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

