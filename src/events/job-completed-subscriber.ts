import type { JobCompletedEvent } from "../types/execution.js";

/** Handles one completion event. Resolving acknowledges it; throwing asks for a retry. */
export type JobCompletedHandler = (event: JobCompletedEvent) => void | Promise<void>;

/** Where a delivery failed. */
export interface DeliveryFailure {
  /**
   * `"decode"`: the record is not a valid event; `"handler"`: the handler kept failing;
   * `"consumer"`: the Kafka consumer crashed. With `restarting: true` kafkajs restarts it (the
   * events come again); otherwise it stopped for good (a non-retriable error, or a dead-letter
   * topic that cannot be written) - no more events arrive on this subscription, and an
   * `events()` loop ends with this error.
   */
  reason: "decode" | "handler" | "consumer";
  /** For `reason: "consumer"`: `true` when kafkajs restarts the consumer after this crash. */
  restarting?: boolean;
  /** The decode error (a `SchedulerError` naming the field), the handler's last error, or the consumer's. */
  error: unknown;
  /** The event, when it could be decoded. */
  event?: JobCompletedEvent;
  /** How many times the handler was called (0 for decode failures). */
  attempts: number;
  /** The Kafka record, for the Kafka subscriber. */
  record?: {
    /** Topic of the record. */
    topic: string;
    /** Partition of the record. */
    partition: number;
    /** Offset of the record, as kafkajs gives it (a decimal string). */
    offset: string;
    /** The record key (the job id for well-formed events). */
    key: string | null;
  };
}

/** Options of {@link JobCompletedSubscriber.subscribe}. */
export interface SubscribeOptions {
  /**
   * Called for an event that cannot be delivered (it does not decode, or the handler still fails
   * after its retries; consumption goes on after it returns), and when the Kafka consumer crashes
   * (`reason: "consumer"`; see `restarting`). Like the events, a report can repeat after a crash
   * or rebalance. What it throws or rejects with is logged, not propagated. @default ignore
   */
  onError?: (failure: DeliveryFailure) => void | Promise<void>;
}

/** A snapshot of a subscription's state, for readiness probes and dashboards. */
export interface SubscriptionHealth {
  /**
   * `"running"`: consuming; `"restarting"`: the consumer crashed and kafkajs is restarting it
   * (back to `"running"` when it rejoins the group); `"stopped"`: it stopped for good and will
   * receive nothing more (see `lastError`; call `close()`); `"closed"`: `close()` was called.
   */
  state: "running" | "restarting" | "stopped" | "closed";
  /** Consumer crashes so far (restarted or not). */
  crashes: number;
  /** The last consumer failure (crash, or the dead-letter write that stopped it). */
  lastError?: unknown;
  /** The partitions this member was given at its last group join. */
  assignment: {
    /** The topic. */
    topic: string;
    /** The partition number. */
    partition: number;
  }[];
  /** Group joins after the first one (rebalances, restarts). */
  rebalances: number;
}

/** A running subscription. */
export interface Subscription {
  /**
   * Stops receiving, lets a handler in progress finish, commits, and disconnects. Idempotent.
   * The Kafka subscriber waits at most `closeTimeoutMs` for the handler, then rejects with `TIMEOUT`.
   */
  close(): Promise<void>;
  /** Where the subscription stands: state, crashes, last error, assigned partitions. */
  health(): SubscriptionHealth;
}

/**
 * Receives `JobCompletedEvent`s: from Kafka ({@link KafkaJobCompletedSubscriber}) or in process
 * (`InMemorySchedulerClient.subscriber()`), with one shape so a service's code and its tests
 * are the same.
 */
export interface JobCompletedSubscriber {
  /** Calls `handler` for each event until the subscription is closed. */
  subscribe(handler: JobCompletedHandler, options?: SubscribeOptions): Promise<Subscription>;
  /**
   * The events as an async iterable. An event is acknowledged when the loop asks for the next
   * one; ending the loop (or aborting `signal`) closes the subscription.
   */
  events(options?: SubscribeOptions & { signal?: AbortSignal }): AsyncIterable<JobCompletedEvent>;
}
