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
import { BatchProgress } from "./batch-progress.js";
import { type PartitionLag, readGroupLag } from "./group-lag.js";
import { createKafka, loadKafkajs } from "./kafkajs-loader.js";
import { messageOf } from "../internal/message-of.js";

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
  /**
   * Commit handled offsets at least this often while a batch is being handled (they are also
   * committed when a batch ends, on a rebalance and on `close()`). A member that dies redelivers
   * about this long's worth of events to the others. @default 1000
   */
  commitIntervalMs?: number;
  /** Commit as soon as this many handled events are uncommitted, before the interval is up. @default 500 */
  commitThreshold?: number;
  /**
   * Partitions handled at the same time by this member. Events of one job (the record key) stay in
   * order whatever this is: a key always maps to one partition, and a partition's events are
   * handled one after the other. @default 1
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Further kafkajs consumer settings. The defaults differ from kafkajs's where they bound how
   * long a group stalls when a member dies (the dead member's session must expire before its
   * partitions move, and survivors notice at their next heartbeat or empty fetch): about 10 s
   * instead of about 35 s. Raise `sessionTimeout` if the process can block its event loop that long.
   * @default `{ sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 1000 }`, the rest kafkajs's
   */
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
 *   (`dedupeWindowMs` only drops repeats within one subscription);
 * - handled offsets are committed as handling goes (`commitIntervalMs`, `commitThreshold`), so a
 *   member that dies redelivers about one commit interval of events; the group resumes within
 *   about the session timeout (10 s by default) of a member's death.
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
  private readonly consumerConfig: ConsumerConfig;

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
      ["commitIntervalMs", options.commitIntervalMs],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
        throw invalid("INVALID_ARGUMENT", `options.${name}`, value, "must be a whole number >= 0");
      }
    }
    for (const [name, value] of [
      ["commitThreshold", options.commitThreshold],
      ["partitionsConsumedConcurrently", options.partitionsConsumedConcurrently],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
        throw invalid("INVALID_ARGUMENT", `options.${name}`, value, "must be a whole number >= 1");
      }
    }
    this.consumerConfig = { ...CONSUMER_DEFAULTS, ...options.consumer, groupId: options.groupId };
    const { sessionTimeout, heartbeatInterval } = this.consumerConfig;
    if (sessionTimeout !== undefined && heartbeatInterval !== undefined && heartbeatInterval >= sessionTimeout) {
      throw invalid("INVALID_ARGUMENT", "options.consumer.heartbeatInterval", heartbeatInterval, `must be below the session timeout (${sessionTimeout} ms); about a third of it is usual`);
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
    const consumer = kafka.consumer(this.consumerConfig);
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
        autoCommitInterval: this.options.commitIntervalMs ?? 1_000,
        autoCommitThreshold: this.options.commitThreshold ?? 500,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
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
      lag: () => this.lag(),
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

  /**
   * The group's lag per partition of the topic, read from the brokers (committed offsets and end
   * offsets): for a subscription of this process, or for another process of the same group
   * (a readiness probe, the CLI's `events lag`). Needs no subscription.
   * @throws `SERVER_ERROR` when the brokers cannot be reached or the topic does not exist.
   */
  async lag(): Promise<PartitionLag[]> {
    const kafka = await (this.kafka ??= createKafka(this.config));
    return readGroupLag(kafka, this.groupId, this.topic);
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
   * Delivers one fetched batch (one partition's records, in order). An offset is acknowledged
   * (resolved, then committed at the next due checkpoint, see {@link BatchProgress}) only once its
   * event was handled or reported; unacknowledged, the loop stops and the rest of the batch is
   * redelivered later.
   */
  private async consumeBatch(payload: EachBatchPayload, context: SubscriptionContext): Promise<void> {
    const { delivery, deadLetters } = context;
    const { batch } = payload;
    const progress = new BatchProgress(payload);
    const checkpoint = () => progress.checkpoint();
    try {
      for (const message of batch.messages) {
        if (!payload.isRunning() || payload.isStale() || context.health.state === "stopped") return;
        const record = { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString("utf8") ?? null };
        // Synchronous when the handler is: no promise to wait for then.
        let outcome = this.process(message, record, delivery, deadLetters, checkpoint);
        if (typeof outcome !== "string") {
          try {
            outcome = await progress.during(outcome);
          } catch (error) {
            // The dead-letter topic cannot be written: not acknowledged, and no loop on it.
            if (!(error instanceof DeadLetterError)) throw error;
            context.stop(error);
            return;
          }
        }
        // Unacknowledged: stop here; the event is redelivered to this group later.
        if (outcome === "abandoned") return;
        progress.handledUpTo(message.offset);
        await progress.maybeCheckpoint();
      }
    } finally {
      progress.finish();
    }
  }

  /** Decodes and delivers one record; returns the outcome, or a promise of it when there is something to wait for. */
  private process(
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    delivery: EventDelivery,
    deadLetters: Producer | undefined,
    checkpoint: () => Promise<void>,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    let event: JobCompletedEvent;
    try {
      event = decodeJobCompletedEvent(message.value, headerText(message.headers, "content-type"));
    } catch (error) {
      return this.undecodable(message, record, delivery, deadLetters, error, checkpoint);
    }
    return delivery.deliver(event, record, {
      beforeRetry: checkpoint,
      beforeReport: (error) => this.deadLetter(deadLetters, message, record, "handler", error, checkpoint),
    });
  }

  /** A record that does not decode: dead-lettered (if configured) and reported. */
  private async undecodable(
    message: KafkaMessage,
    record: NonNullable<DeliveryFailure["record"]>,
    delivery: EventDelivery,
    deadLetters: Producer | undefined,
    error: unknown,
    checkpoint: () => Promise<void>,
  ): Promise<DeliveryOutcome> {
    await this.deadLetter(deadLetters, message, record, "decode", error, checkpoint);
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
    checkpoint: () => Promise<void>,
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
        await checkpoint();
      }
    }
  }
}

/** Consumer settings that bound the stall of a group whose member died (see the `consumer` option). */
const CONSUMER_DEFAULTS = { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 1_000 } as const;

/** Writes of one record to the dead-letter topic (each with kafkajs's own retries) before the subscriber stops. */
const DEAD_LETTER_ATTEMPTS = 3;
/** Wait before the second dead-letter write; doubles. */
const DEAD_LETTER_BACKOFF_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

