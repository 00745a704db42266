import type { CallOptions } from "../types/call-options.js";
import { invalid } from "../validation/invalid.js";

/**
 * Checks per-call options before any work: a non-positive or non-finite `timeoutMs`, or a
 * `signal` that is not an `AbortSignal`, is `INVALID_ARGUMENT`; an already-aborted signal
 * rejects with its reason.
 */
export function checkCallOptions(options: CallOptions | undefined): CallOptions {
  if (options === undefined) return {};
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw invalid("INVALID_ARGUMENT", "timeoutMs", timeoutMs, "must be a positive, finite number of milliseconds");
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid("INVALID_ARGUMENT", "signal", signal, "must be an AbortSignal");
  }
  signal?.throwIfAborted();
  return options;
}
