import type { Consumer, ConsumerConfig, EachBatchPayload, IHeaders, Kafka, KafkaConfig, KafkaMessage, Producer } from "kafkajs";
import { SchedulerError } from "../errors/scheduler-error.js";
import { type DeliveryOutcome, EventDelivery } from "../events/event-delivery.js";
import { iterateEvents } from "../events/event-iterator.js";
import type {
  DeliveryFailure,
  JobCompletedHandler,
  JobCompletedSubscriber,
  SubscribeOptions,
  Subscription,
  SubscriptionHealth,
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
  /**
   * Drop an event whose `executionId` this subscription handled within this many ms (0 = off).
   * Per process: duplicates after a rebalance or a member's crash reach another process, so the
   * handler must be idempotent (keyed by `executionId`) whatever this is set to.
   * @default 0
   */
  dedupeWindowMs?: number;
  /** Further kafkajs consumer settings (session timeout, ...). @default kafkajs defaults */
  consumer?: Omit<ConsumerConfig, "groupId">;
  /**
   * Longest wait of `close()` for the handler in progress; then it rejects with `TIMEOUT` (the
   * event in hand is not acknowledged and comes again). @default 10000
   */
  closeTimeoutMs?: number;
  /**
   * How long `subscribe()` waits for a topic that does not exist yet (brokers with topic
   * auto-creation off) before it rejects with `SERVER_ERROR` naming the topic. @default 0
   */
  topicWaitMs?: number;
}

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  /** The subscribed topic. */
  topic: string;
  /** The partition number. */
  partition: number;
  /** The group's committed offset (the next record it will read), or -1 when it committed none. */
  committed: number;
  /** The partition's end offset (high watermark). */
  end: number;
  /** Records not yet acknowledged: `end - committed` (`end - start of the partition` when nothing is committed). */
  lag: number;
}

/** A subscription of the {@link KafkaJobCompletedSubscriber}: a {@link Subscription} that can also tell its lag. */
export interface KafkaSubscription extends Subscription {
  /** The group's lag per partition of the topic, read from the brokers (committed offsets and end offsets). */
  lag(): Promise<PartitionLag[]>;
}

/** What one `subscribe()` call shares between its batches, its listeners and `close()`. */
interface SubscriptionContext {
  delivery: EventDelivery;
  deadLetters: Producer | undefined;
  health: SubscriptionHealth;
  /** Stops the consumer for good after a failure it must not loop on, and reports it. */
  stop(error: SchedulerError): void;
}

/** A dead-letter write that failed all its attempts: the subscriber stops on it. */
class DeadLetterError extends SchedulerError {}

/**
 * Subscribes to `JobCompletedEvent`s on Kafka (topic `k1s0.system.scheduler.job_completed.v1`)
 * with kafkajs, at least once:
 * - an offset is committed only after the handler resolved for that event (or the event was
 *   reported as failed and dead-lettered), so a crash redelivers, never loses;
 * - a handler that throws is retried with backoff `handlerRetries` times, then the event goes
 *   to the dead-letter topic (if configured) and `onError`, and consumption goes on;
 * - a record that does not decode is reported the same way and never crashes the process;
 * - a dead-letter topic that cannot be written (3 attempts) stops the subscriber, reported to
 *   `onError` (`reason: "consumer"`) and in `health()`; kafkajs crashes are reported the same way;
 * - duplicates (after a rebalance or a restart) carry the same `executionId`, and may reach
 *   another process of the group: the handler must be idempotent, keyed by `executionId`
 *   (`dedupeWindowMs` only drops repeats within one subscription).
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
    for (const [name, value] of [
      ["handlerRetries", options.handlerRetries],
      ["retryBackoffMs", options.retryBackoffMs],
      ["dedupeWindowMs", options.dedupeWindowMs],
      ["closeTimeoutMs", options.closeTimeoutMs],
      ["topicWaitMs", options.topicWaitMs],
    ] as const) {
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
   * or the topic does not exist (after `topicWaitMs`).
   */
  async subscribe(handler: JobCompletedHandler, options: SubscribeOptions = {}): Promise<KafkaSubscription> {
    const logger = this.options.logger ?? silentLogger;
    const where = { topic: this.topic, groupId: this.groupId };
    /** Calls the user's `onError`; what it throws or rejects with is logged, never let loose. */
    const report = async (failure: DeliveryFailure): Promise<void> => {
      try {
        await options.onError?.(failure);
      } catch (error) {
        logger.error("onError of a job-completed subscription threw", { ...where, reason: failure.reason, error: messageOf(error) });
      }
    };
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
          error: messageOf(failure.error),
        });
        await report(failure);
      },
    });
    const { Partitioners } = await loadKafkajs();
    const kafka = await (this.kafka ??= createKafka(this.config));
    const consumer = kafka.consumer({ ...this.options.consumer, groupId: this.groupId });
    const deadLetters = this.options.deadLetterTopic === undefined ? undefined : kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const health: SubscriptionHealth = { state: "running", crashes: 0, assignment: [], rebalances: 0 };
    let joins = 0;
    let stopping: Promise<void> | undefined;
    const context: SubscriptionContext = {
      delivery,
      deadLetters,
      health,
      stop: (error) => {
        if (health.state === "stopped" || health.state === "closed") return;
        health.state = "stopped";
        health.lastError = error;
        logger.error("job-completed consumer stopped", { ...where, error: error.message });
        // Not awaited: called from inside a batch, which stop() waits for.
        stopping = consumer.stop().catch((err: unknown) => logger.warn("stopping the job-completed consumer failed", { ...where, error: messageOf(err) }));
        void report({ reason: "consumer", error, attempts: 0, restarting: false });
      },
    };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (joins++ > 0) health.rebalances++;
      health.assignment = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      if (health.state === "restarting") health.state = "running";
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer after retriable errors; otherwise it is gone for good.
      health.crashes++;
      health.lastError = payload.error;
      if (health.state === "closed" || health.state === "stopped") return;
      health.state = payload.restart ? "restarting" : "stopped";
      health.assignment = [];
      logger.error(payload.restart ? "job-completed consumer crashed; kafkajs restarts it" : "job-completed consumer stopped", {
        ...where,
        error: payload.error.message,
        crashes: health.crashes,
      });
      void report({ reason: "consumer", error: payload.error, attempts: 0, restarting: payload.restart });
    });
    try {
      await deadLetters?.connect();
      await consumer.connect();
      await this.subscribeWhenTopicExists(consumer, logger);
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.consumeBatch(payload, context),
      });
    } catch (err) {
      await Promise.allSettled([consumer.disconnect(), deadLetters?.disconnect()]);
      if (err instanceof SchedulerError) throw err;
      throw new SchedulerError(`cannot subscribe to Kafka topic ${this.topic}: ${(err as Error).message}`, "SERVER_ERROR", { cause: err });
    }
    logger.info("subscribed to job-completed events", where);
    const closeTimeoutMs = this.options.closeTimeoutMs ?? 10_000;
    let closing: Promise<void> | undefined;
    return {
      health: () => ({ ...health, assignment: health.assignment.map((a) => ({ ...a })) }),
      lag: async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const [[committed], ends] = await Promise.all([admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }), admin.fetchTopicOffsets(this.topic)]);
          return ends
            .map(({ partition, high, low }) => {
              const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
              const end = Number(high);
              return { topic: this.topic, partition, committed: offset, end, lag: Math.max(0, end - (offset >= 0 ? offset : Number(low))) };
            })
            .sort((a, b) => a.partition - b.partition);
        } finally {
          await admin.disconnect();
        }
      },
      close: () =>
        (closing ??= (async () => {
          health.state = "closed";
          // Stops fetching, waits for the batch in progress, commits resolved offsets, leaves the group.
          let timer: NodeJS.Timeout | undefined;
          try {
            const disconnected = (async () => {
              await stopping;
              await consumer.disconnect();
            })();
            const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), closeTimeoutMs)));
            if ((await Promise.race([disconnected, timedOut])) === "timeout") {
              disconnected.catch(() => undefined);
              throw new SchedulerError(
                `closing the subscription to Kafka topic ${this.topic} timed out after ${closeTimeoutMs} ms: the handler in progress has not settled (its event is not acknowledged and comes again)`,
                "TIMEOUT",
              );
            }
          } catch (err) {
            logger.error("job-completed subscription did not close cleanly", { ...where, error: messageOf(err) });
            if (err instanceof SchedulerError) throw err;
            throw new SchedulerError(`cannot close the subscription to Kafka topic ${this.topic}: ${messageOf(err)}`, "SERVER_ERROR", { cause: err });
          } finally {
            clearTimeout(timer);
            // Always, even when the consumer did not disconnect.
            if (deadLetters !== undefined) {
              await deadLetters.disconnect().then(
                () => logger.debug("dead-letter producer disconnected", where),
                (err: unknown) => logger.warn("disconnecting the dead-letter producer failed", { ...where, error: messageOf(err) }),
              );
            }
          }
          logger.info("job-completed subscription closed", where);
        })()),
    };
  }

  /** `consumer.subscribe()`, retried for `topicWaitMs` while the topic does not exist. */
  private async subscribeWhenTopicExists(consumer: Consumer, logger: NonNullable<KafkaJobCompletedSubscriberOptions["logger"]>): Promise<void> {
    const waitMs = this.options.topicWaitMs ?? 0;
    const deadline = Date.now() + waitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.subscribe({ topic: this.topic, fromBeginning: this.options.fromBeginning ?? false });
        return;
      } catch (err) {
        if ((err as { type?: unknown }).type !== "UNKNOWN_TOPIC_OR_PARTITION") throw err;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new SchedulerError(
            `Kafka topic ${this.topic} does not exist (waited ${waitMs} ms; create it, turn on topic auto-creation, or raise topicWaitMs): ${(err as Error).message}`,
            "SERVER_ERROR",
            { cause: err },
          );
        }
        if (attempt === 1) logger.info("waiting for the Kafka topic to exist", { topic: this.topic, topicWaitMs: waitMs });
        await sleep(Math.min(250, left));
      }
    }
  }

  events(options: SubscribeOptions & { signal?: AbortSignal } = {}): AsyncIterable<JobCompletedEvent> {
    const { signal, onError } = options;
    return iterateEvents(
      (handler, fail) =>
        this.subscribe(handler, {
          onError: async (failure) => {
            await onError?.(failure);
            if (failure.reason === "consumer" && failure.restarting !== true) fail(failure.error);
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
  private async consumeBatch(payload: EachBatchPayload, context: SubscriptionContext): Promise<void> {
    const { delivery, deadLetters } = context;
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
        if (!payload.isRunning() || payload.isStale() || context.health.state === "stopped") return;
        const record = { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString("utf8") ?? null };
        // Synchronous when the handler is: no promise to wait for then.
        let outcome = this.process(message, record, delivery, deadLetters, heartbeat);
        if (typeof outcome !== "string") {
          try {
            outcome = await outcome;
          } catch (error) {
            // The dead-letter topic cannot be written: not acknowledged, and no loop on it.
            if (!(error instanceof DeadLetterError)) throw error;
            context.stop(error);
            return;
          }
        }
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
      return this.undecodable(message, record, delivery, deadLetters, error, heartbeat);
    }
    return delivery.deliver(event, record, {
      beforeRetry: heartbeat,
      beforeReport: (error) => this.deadLetter(deadLetters, message, record, "handler", error, heartbeat),
    });
  }

  /** A record that does not decode: dead-lettered (if configured) and reported. */
  private async undecodable(
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    delivery: EventDelivery,
    deadLetters: Producer | undefined,
    error: unknown,
    heartbeat: () => Promise<void>,
  ): Promise<DeliveryOutcome> {
    await this.deadLetter(deadLetters, message, record, "decode", error, heartbeat);
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
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const topic = this.options.deadLetterTopic;
    if (producer === undefined || topic === undefined) return;
    const send = () =>
      producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: {
              ...message.headers,
              "x-k1s0-dead-letter-reason": reason,
              "x-k1s0-dead-letter-error": messageOf(error).slice(0, 1_000),
              "x-k1s0-source": `${record.topic}/${record.partition}/${record.offset}`,
            },
          },
        ],
      });
    for (let attempt = 1; ; attempt++) {
      try {
        await send();
        return;
      } catch (err) {
        this.options.logger?.warn("writing to the dead-letter topic failed", { deadLetterTopic: topic, attempt, error: messageOf(err) });
        if (attempt >= DEAD_LETTER_ATTEMPTS) {
          throw new DeadLetterError(
            `cannot write to the dead-letter topic ${topic} (${attempt} attempts): ${messageOf(err)}; the consumer of ${record.topic} stopped at ${record.topic}/${record.partition}/${record.offset}, which is not acknowledged`,
            "SERVER_ERROR",
            { cause: err },
          );
        }
        await sleep(DEAD_LETTER_BACKOFF_MS * 2 ** (attempt - 1));
        // Keeps the group membership while retrying (a rebalance it reports ends the batch).
        await heartbeat();
      }
    }
  }
}

/** Writes of one record to the dead-letter topic (each with kafkajs's own retries) before the subscriber stops. */
const DEAD_LETTER_ATTEMPTS = 3;
/** Wait before the second dead-letter write; doubles. */
const DEAD_LETTER_BACKOFF_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** How often a batch loop that handles events quickly offers kafkajs a heartbeat. */
const HEARTBEAT_CHECK_MS = 50;

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

