import type { JobCompletedListener } from "../engine/scheduler-engine.js";
import type { JobCompletedEvent } from "../types/execution.js";
import { EventDelivery } from "./event-delivery.js";
import { iterateEvents } from "./event-iterator.js";
import type { JobCompletedHandler, JobCompletedSubscriber, SubscribeOptions, Subscription } from "./job-completed-subscriber.js";

/** Delivery settings of the in-memory subscriber. */
export interface InMemorySubscriberOptions {
  /** Retries of a failing handler before `onError`. @default 3 */
  handlerRetries?: number;
  /** Wait before the first retry, in real milliseconds (0 retries at once). @default 0 */
  retryBackoffMs?: number;
  /** Drop an event whose `executionId` was handled within this many ms. @default 0 (off) */
  dedupeWindowMs?: number;
}

/**
 * The {@link JobCompletedSubscriber} of the in-memory client: events straight from its engine,
 * with the Kafka subscriber's delivery rules (one at a time in order, retries, `onError`).
 * A handler that does not return a promise runs inside the engine's step, so its effects are
 * visible as soon as `advanceTime` resolves.
 */
export class InMemoryJobCompletedSubscriber implements JobCompletedSubscriber {
  constructor(
    private readonly source: { onJobCompleted(listener: JobCompletedListener): () => void },
    private readonly options: InMemorySubscriberOptions = {},
  ) {}

  async subscribe(handler: JobCompletedHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const delivery = new EventDelivery(handler, {
      handlerRetries: this.options.handlerRetries ?? 3,
      retryBackoffMs: this.options.retryBackoffMs ?? 0,
      dedupeWindowMs: this.options.dedupeWindowMs ?? 0,
    }, options);
    // The delivery in progress, if it went asynchronous; undefined when idle.
    let tail: Promise<unknown> | undefined;
    let closed = false;
    const track = (p: Promise<unknown>): void => {
      const t: Promise<unknown> = p.finally(() => {
        if (tail === t) tail = undefined;
      });
      tail = t;
    };
    const unsubscribe = this.source.onJobCompleted((event) => {
      if (closed) return;
      if (tail === undefined) {
        // Idle: deliver now, inside the engine's step; only a handler that awaits goes async.
        const outcome = delivery.deliver(event);
        if (outcome instanceof Promise) track(outcome);
      } else {
        // Busy: one at a time, in order. Events emitted before close() are still delivered.
        track(tail.then(() => delivery.deliver(event)));
      }
    });
    return {
      health: () => ({ state: closed ? "closed" : "running", crashes: 0, assignment: [], rebalances: 0 }),
      close: async () => {
        closed = true;
        unsubscribe();
        await tail;
      },
    };
  }

  events(options: SubscribeOptions & { signal?: AbortSignal } = {}): AsyncIterable<JobCompletedEvent> {
    const { signal, ...subscribeOptions } = options;
    return iterateEvents((handler) => this.subscribe(handler, subscribeOptions), signal);
  }
}
