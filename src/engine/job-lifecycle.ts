import { SchedulerError } from "../errors/scheduler-error.js";
import type { JobStatus } from "../types/job.js";

/** A caller's operation on a job's status. */
export type JobOperation = "pause" | "resume" | "cancel";

/** What an operation does in a status: change it, leave it (`noop`), or fail (`INVALID_STATE`). */
export type TransitionRule =
  | {
      /** The status the job moves to. */
      to: JobStatus;
    }
  | "noop"
  | "invalid";

/**
 * The status rules for caller operations, one row per status. The README's status table is
 * checked against this by a test. (Transitions made by the engine itself - firing, finishing,
 * retrying - are described in the README next to it.)
 */
export const TRANSITION_RULES: Readonly<Record<JobStatus, Readonly<Record<JobOperation, TransitionRule>>>> = {
  pending: { pause: { to: "paused" }, resume: "noop", cancel: { to: "cancelled" } },
  running: { pause: { to: "paused" }, resume: "noop", cancel: { to: "cancelled" } },
  paused: { pause: "noop", resume: { to: "pending" }, cancel: { to: "cancelled" } },
  completed: { pause: "invalid", resume: "invalid", cancel: "invalid" },
  failed: { pause: "invalid", resume: "invalid", cancel: "invalid" },
  cancelled: { pause: "invalid", resume: "invalid", cancel: "noop" },
};

/**
 * Looks up the rule for `operation` on a job in `status`.
 * @returns the new status, or `undefined` for a no-op.
 * @throws `INVALID_STATE` when the operation is not allowed.
 */
export function applyOperation(jobId: string, status: JobStatus, operation: JobOperation): JobStatus | undefined {
  const rule = TRANSITION_RULES[status][operation];
  if (rule === "invalid") {
    throw new SchedulerError(`cannot ${operation} job ${jobId}: it is ${status}`, "INVALID_STATE", { field: "jobId" });
  }
  return rule === "noop" ? undefined : rule.to;
}
