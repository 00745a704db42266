/**
 * What the fix reads of kafkajs's internal `RequestQueue` (kafkajs/src/network/requestQueue), one
 * per broker connection.
 */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const FIXED = Symbol.for("k1s0.kafkajs.requestQueueFixed");

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer after every response and every check of its
 * request queue, even when no request waits and the broker throttles nothing: the delay is then
 * negative (1 ms for Node.js), and the timer's own check re-arms it. Each broker connection spins
 * a 1 ms timer loop for as long as it is open, and Node.js 23+ prints a `TimeoutNegativeWarning`
 * into the host application's log (kafkajs issues #1704 and #1751, open).
 *
 * Patched here, on kafkajs's prototype, to arm nothing when nothing waits and nothing is throttled:
 * requests that do wait arm the timer again when they are queued, so nothing is left unchecked.
 * Any other state goes to kafkajs's own method unchanged. Applied once, by the loader.
 */
export function fixRequestQueueTimerLoop(requestQueue: { prototype: object }): boolean {
  const proto = requestQueue.prototype as Partial<RequestQueue> & { [FIXED]?: true };
  const original = proto.scheduleCheckPendingRequests;
  if (typeof original !== "function" || proto[FIXED]) return false;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    const idle = Array.isArray(this.pending) && this.pending.length === 0 && typeof this.throttledUntil === "number" && this.throttledUntil <= Date.now();
    if (!idle) original.call(this);
  };
  proto[FIXED] = true;
  return true;
}
