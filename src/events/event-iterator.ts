import type { JobCompletedEvent } from "../types/execution.js";
import { ABANDONED } from "./event-delivery.js";
import type { JobCompletedHandler, Subscription } from "./job-completed-subscriber.js";

/**
 * Turns a push subscription into an async iterable with acknowledgement: the handler for an
 * event resolves only when the loop asks for the next event. When the loop ends (break, throw,
 * return or abort), the event in hand is not acknowledged - the generator cannot tell whether
 * the body finished it - so on Kafka it is delivered again: at least once.
 * `subscribe` gets a `fail` callback that ends the loop with an error (a dead consumer).
 */
export async function* iterateEvents(
  subscribe: (handler: JobCompletedHandler, fail: (error: unknown) => void) => Promise<Pick<Subscription, "close">>,
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
  let failure: { error: unknown } | undefined;
  const subscription = await subscribe(
    (event) =>
      new Promise<void>((ack, giveBack) => {
        // After the loop ended nobody will take it: hand it straight back.
        if (finished) return giveBack(ABANDONED);
        waiting.push({ event, ack, giveBack });
        notify();
      }),
    (error) => {
      failure = { error };
      notify();
    },
  );
  const onAbort = (): void => notify();
  signal?.addEventListener("abort", onAbort);
  let current: { ack: () => void; giveBack: (reason: unknown) => void } | undefined;
  try {
    for (;;) {
      current?.ack();
      current = undefined;
      while (waiting.length === 0 && !signal?.aborted && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== undefined) throw failure.error;
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
    // Neither the event in hand nor those still waiting are acknowledged: Kafka redelivers them.
    current?.giveBack(ABANDONED);
    for (const pending of waiting.splice(0)) pending.giveBack(ABANDONED);
    await subscription.close();
  }
}
