import { isThenable } from "../internal/is-thenable.js";
import type { JobCompletedEvent } from "../types/execution.js";
import type { DeliveryFailure, JobCompletedHandler, SubscribeOptions } from "./job-completed-subscriber.js";

/** How a subscriber retries a failing handler and deduplicates events. */
export interface DeliveryPolicy {
  /** Retries after the handler's first failure. */
  handlerRetries: number;
  /** Wait before the first retry; doubles per retry, capped at 5 s. */
  retryBackoffMs: number;
  /** Drop an event whose `executionId` was delivered within this window (ms); 0 = no dedupe. */
  dedupeWindowMs: number;
}

/**
 * Rejection reason a handler uses to hand an event back unprocessed (the iterator was closed).
 * Compared by identity.
 */
export const ABANDONED: Error = new Error("the event was handed back unprocessed: its iterator has ended");

/** Hooks the Kafka subscriber uses around retries and failure reports. */
export interface DeliveryHooks {
  beforeRetry?: () => Promise<void>;
  beforeReport?: (error: unknown) => Promise<void>;
}

/** What became of one delivery. */
export type DeliveryOutcome = "handled" | "duplicate" | "failed" | "abandoned";

/**
 * Delivers events to a handler with bounded retries, then reports failures once; optionally
 * drops duplicates by `executionId`. Shared by the Kafka and in-memory subscribers.
 */
export class EventDelivery {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly handler: JobCompletedHandler,
    private readonly policy: DeliveryPolicy,
    private readonly options: SubscribeOptions,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * Delivers one event: `"handled"`, `"duplicate"` (dropped by dedupe), `"failed"` (the handler
   * kept failing; reported through `onError`), or `"abandoned"` (the handler handed it back, so
   * it must not be acknowledged). Never rejects because of the handler or `onError`, so one bad
   * event can never stall the stream. A handler that returns without a promise is delivered
   * synchronously (the outcome is returned, not a promise).
   * `hooks.beforeReport` runs before `onError` for a failed event (publishing it to a
   * dead-letter topic); if it throws, so does `deliver`, and the event is not acknowledged.
   */
  deliver(event: JobCompletedEvent, record?: DeliveryFailure["record"], hooks: DeliveryHooks = {}): DeliveryOutcome | Promise<DeliveryOutcome> {
    if (this.isDuplicate(event)) return "duplicate";
    let result: unknown;
    try {
      result = this.handler(event);
    } catch (error) {
      return this.retry(event, error, record, hooks);
    }
    if (!isThenable(result)) {
      this.remember(event);
      return "handled";
    }
    return Promise.resolve(result).then(
      () => {
        this.remember(event);
        return "handled" as const;
      },
      (error: unknown) => this.retry(event, error, record, hooks),
    );
  }

  private async retry(event: JobCompletedEvent, firstError: unknown, record: DeliveryFailure["record"], hooks: DeliveryHooks): Promise<DeliveryOutcome> {
    let error = firstError;
    for (let attempts = 1; ; attempts++) {
      if (error === ABANDONED) return "abandoned";
      if (attempts > this.policy.handlerRetries) {
        await hooks.beforeReport?.(error);
        await this.fail({ reason: "handler", error, event, attempts, ...(record === undefined ? {} : { record }) });
        return "failed";
      }
      const backoff = Math.min(this.policy.retryBackoffMs * 2 ** (attempts - 1), 5_000);
      if (backoff > 0) await this.sleep(backoff);
      await hooks.beforeRetry?.();
      try {
        await this.handler(event);
        this.remember(event);
        return "handled";
      } catch (next) {
        error = next;
      }
    }
  }

  /** Reports a record that could not be decoded. */
  async undecodable(error: unknown, record?: DeliveryFailure["record"]): Promise<void> {
    await this.fail({ reason: "decode", error, attempts: 0, ...(record === undefined ? {} : { record }) });
  }

  private async fail(failure: DeliveryFailure): Promise<void> {
    try {
      await this.options.onError?.(failure);
    } catch {
      // onError is the last stop; its own failure must not block the partition.
    }
  }

  private isDuplicate(event: JobCompletedEvent): boolean {
    if (this.policy.dedupeWindowMs <= 0) return false;
    const now = this.now();
    // Entries are in delivery order: drop the expired ones from the front.
    for (const [id, at] of this.seen) {
      if (now - at < this.policy.dedupeWindowMs) break;
      this.seen.delete(id);
    }
    return this.seen.has(event.executionId);
  }

  private remember(event: JobCompletedEvent): void {
    if (this.policy.dedupeWindowMs <= 0) return;
    this.seen.delete(event.executionId);
    this.seen.set(event.executionId, this.now());
  }
}
