import type { Interceptor } from "@connectrpc/connect";
import { type Clock, SystemClock } from "../engine/clock.js";
import { type Logger, silentLogger } from "../logging/logger.js";
import { invalid } from "../validation/invalid.js";
import { resolvePageSize } from "../validation/request-rules.js";

/** Options of {@link GrpcSchedulerClient}. */
export interface GrpcSchedulerClientOptions {
  /**
   * Deadline of each call that does not set its own `timeoutMs`. A call past its deadline
   * rejects with `TIMEOUT`.
   * @default 10000
   */
  timeoutMs?: number;
  /** Items per page for `listJobs`, `getExecutions` and the iterators, 1 to 1000. @default 100 */
  pageSize?: number;
  /**
   * The clock client-side checks read ("is this one-shot `runAt` in the past?"). Pass a test
   * server's `clock` when that server runs simulated time, so both sides agree on "now".
   * @default the system clock
   */
  clock?: Pick<Clock, "now">;
  /**
   * Connect interceptors, outermost first: add headers, tracing (see the README's
   * OpenTelemetry example), metrics.
   * @default none
   */
  interceptors?: Interceptor[];
  /** Where failed calls are reported (at `debug`; they are also thrown). @default silent */
  logger?: Logger;
}

/** {@link GrpcSchedulerClientOptions} with every default applied. */
export type ResolvedGrpcSchedulerClientOptions = Required<GrpcSchedulerClientOptions>;

/** The default per-call deadline. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Applies defaults and checks ranges in one place.
 * @throws `INVALID_ARGUMENT` naming the option.
 */
export function resolveGrpcClientOptions(options: GrpcSchedulerClientOptions = {}): ResolvedGrpcSchedulerClientOptions {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw invalid("INVALID_ARGUMENT", "options.timeoutMs", timeoutMs, "must be a positive, finite number of milliseconds");
  }
  const clock = options.clock ?? new SystemClock();
  if (typeof clock !== "object" || clock === null || typeof clock.now !== "function") {
    throw invalid("INVALID_ARGUMENT", "options.clock", clock, "must have a now() method");
  }
  const interceptors = options.interceptors ?? [];
  if (!Array.isArray(interceptors) || !interceptors.every((i) => typeof i === "function")) {
    throw invalid("INVALID_ARGUMENT", "options.interceptors", interceptors, "must be an array of Connect interceptors");
  }
  return { timeoutMs, pageSize: resolvePageSize(options.pageSize), clock, interceptors, logger: options.logger ?? silentLogger };
}
