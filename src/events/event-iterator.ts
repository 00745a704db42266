import type { JobCompletedEvent } from "../types/execution.js";
import { ABANDONED } from "./event-delivery.js";
import type { JobCompletedHandler, Subscription } from "./job-completed-subscriber.js";

/**
 * Turns a push subscription into an async iterable with acknowledgement: the handler for an
 * event resolves only when the loop asks for the next event, so an event the loop body did not
 * finish is never acknowledged (and, on Kafka, never committed).
 */
export async function* iterateEvents(
  subscribe: (handler: JobCompletedHandler) => Promise<Subscription>,
  signal?: AbortSignal,
): AsyncGenerator<JobCompletedEvent, void> {
  signal?.throwIfAborted();
  const waiting: { event: JobCompletedEvent; ack: () => void; giveBack: (reason: unknown) => void }[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  let finished = false;
  const subscription = await subscribe(
    (event) =>
      new Promise<void>((ack, giveBack) => {
        // After the loop ended nobody will take it: hand it straight back.
        if (finished) return giveBack(ABANDONED);
        waiting.push({ event, ack, giveBack });
        notify();
      }),
  );
  const onAbort = (): void => notify();
  signal?.addEventListener("abort", onAbort);
  let current: { ack: () => void } | undefined;
  try {
    for (;;) {
      current?.ack();
      current = undefined;
      while (waiting.length === 0 && !signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
      if (signal?.aborted) return;
      const next = waiting.shift();
      if (next !== undefined) {
        current = next;
        yield next.event;
      }
    }
  } finally {
    finished = true;
    signal?.removeEventListener("abort", onAbort);
    // The event in hand when the loop ended was handled by the loop body: acknowledge it.
    // Events still waiting were never seen: hand them back unacknowledged (Kafka redelivers them).
    current?.ack();
    for (const pending of waiting.splice(0)) pending.giveBack(ABANDONED);
    await subscription.close();
  }
}
