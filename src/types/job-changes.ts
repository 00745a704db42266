import type { Job, OverlapPolicy } from "./job.js";
import type { Schedule } from "./schedule.js";

/**
 * What `updateJob` changes: every field is optional, and only the fields given change (the
 * others keep their values). The rules are those of `createJob`, with the same codes and field
 * names. The key cannot be changed.
 * @typeParam P - the new payload's type (checked to be JSON by `updateJob`).
 */
export interface JobChanges<P = unknown> {
  /** New name. */
  name?: string;
  /** New schedule; the next fire is recomputed from now (an interval counts from the update). */
  schedule?: Schedule;
  /** New payload: any JSON value, `null` included (`undefined` means "unchanged"). */
  payload?: P;
  /** New retry count (0 to 100). */
  maxRetries?: number;
  /** New per-execution timeout in seconds (1 to 86400); a running execution keeps its own. */
  timeoutSecs?: number;
  /** New overlap policy. */
  overlap?: OverlapPolicy;
  /** New start of the active window; `null` removes it. */
  startAt?: Date | null;
  /** New end of the active window; `null` removes it. */
  endAt?: Date | null;
}

/** What `ensureJob` did: created the job, found it as requested, or updated it to the request. */
export type EnsureJobOutcome = "created" | "unchanged" | "updated";

/** Every {@link EnsureJobOutcome}, in the order of the contract's enum. */
export const ENSURE_JOB_OUTCOMES = ["created", "unchanged", "updated"] as const satisfies readonly EnsureJobOutcome[];

/** The answer of `ensureJob`.  * @typeParam P - the payload's type, as in the request.
 */
export interface EnsureJobResult<P = unknown> {
  /** The job with the request's key, as it is now. */
  job: Job<P>;
  /** What was done. */
  outcome: EnsureJobOutcome;
}
