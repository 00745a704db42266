import type { ExecutionTrigger } from "../types/execution.js";
import type { Job } from "../types/job.js";

/** What an {@link Executor} is told about the execution it runs. */
export interface ExecutionContext {
  /** The job, as it was when the execution started. */
  job: Job;
  /** Id of the execution record this run writes. */
  executionId: string;
  /** 1 for the first attempt of a fire, 2 for its first retry, and so on. */
  attempt: number;
  /** What started it: a fire of the schedule, `triggerJob`, or a retry. (Additive.) */
  trigger: ExecutionTrigger;
  /**
   * Aborted when the execution times out (`timeoutSecs`, reason a `TimeoutError` `DOMException`)
   * or the job is cancelled or deleted while it runs.
   */
  signal: AbortSignal;
}

/**
 * Runs one execution. Returning (or resolving) means `"succeeded"`; throwing (or rejecting)
 * means `"failed"` with the error's message; running past `timeoutSecs` means `"timed_out"`.
 */
export type Executor = (ctx: ExecutionContext) => void | Promise<void>;

/** The default executor: every execution succeeds at once. */
export const succeedAtOnce: Executor = () => undefined;
