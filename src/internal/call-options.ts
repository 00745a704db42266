import type { CallOptions } from "../types/call-options.js";
import { invalid } from "../validation/invalid.js";

/**
 * The largest deadline a call may have: 99,999,999 ms, the most a `grpc-timeout` header carries
 * in milliseconds (8 digits), about 27.7 hours. It also stays below the 2^31-1 ms that Node.js
 * timers accept (a larger value would fire at once).
 */
export const MAX_TIMEOUT_MS = 99_999_999;

/**
 * Checks per-call options before any work: a `timeoutMs` outside 1..99,999,999 ms (about 27.7
 * hours), or a `signal` that is not an `AbortSignal`, is `INVALID_ARGUMENT`; an already-aborted
 * signal rejects with its reason. A fractional `timeoutMs` is rounded up to whole milliseconds.
 */
export function checkCallOptions(options: CallOptions | undefined): CallOptions {
  if (options === undefined) return {};
  const { signal } = options;
  const timeoutMs = checkTimeout("timeoutMs", options.timeoutMs);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid("INVALID_ARGUMENT", "signal", signal, "must be an AbortSignal");
  }
  signal?.throwIfAborted();
  return timeoutMs === undefined || timeoutMs === options.timeoutMs ? options : { ...options, timeoutMs };
}

/**
 * A deadline in whole milliseconds, or `undefined`: fractions round up, and anything outside
 * 1..{@link MAX_TIMEOUT_MS} is `INVALID_ARGUMENT` naming `field`.
 */
export function checkTimeout(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!(typeof value === "number" && value > 0 && value <= MAX_TIMEOUT_MS)) {
    throw invalid("INVALID_ARGUMENT", field, value, `must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (about 27.7 hours)`);
  }
  return Math.ceil(value);
}
