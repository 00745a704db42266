import { SchedulerError } from "../errors/scheduler-error.js";
import type { JobStatus } from "../types/job.js";

/**
 * A caller's operation on a job. `update`, `trigger` and `delete` are additive (0.2.0).
 */
export type JobOperation = "pause" | "resume" | "cancel" | "update" | "trigger" | "delete";

/**
 * What an operation does in a status: change it (`to`: for `update` the status it keeps, for
 * `trigger` the status while the execution it starts runs), leave it (`noop`), fail
 * (`INVALID_STATE`), depend on the job's overlap policy (`overlap`: `trigger` of a running job
 * starts another execution under `allow_all` and fails with `INVALID_STATE` under `skip` and
 * `buffer_one`), or remove the job (`deleted`).
 */
export type TransitionRule =
  | {
      /** The status the job moves to. */
      to: JobStatus;
    }
  | "noop"
  | "invalid"
  | "overlap"
  | "deleted";

/**
 * The status rules for caller operations, one row per status. The README's status table is
 * checked against this by a test. (Transitions made by the engine itself - firing, finishing,
 * retrying - are described in the README next to it.)
 */
export const TRANSITION_RULES: Readonly<Record<JobStatus, Readonly<Record<JobOperation, TransitionRule>>>> = {
  pending: { pause: { to: "paused" }, resume: "noop", cancel: { to: "cancelled" }, update: { to: "pending" }, trigger: { to: "running" }, delete: "deleted" },
  running: { pause: { to: "paused" }, resume: "noop", cancel: { to: "cancelled" }, update: { to: "running" }, trigger: "overlap", delete: "deleted" },
  paused: { pause: "noop", resume: { to: "pending" }, cancel: { to: "cancelled" }, update: { to: "paused" }, trigger: { to: "paused" }, delete: "deleted" },
  completed: { pause: "invalid", resume: "invalid", cancel: "invalid", update: "invalid", trigger: "invalid", delete: "deleted" },
  failed: { pause: "invalid", resume: "invalid", cancel: "invalid", update: "invalid", trigger: "invalid", delete: "deleted" },
  cancelled: { pause: "invalid", resume: "invalid", cancel: "noop", update: "invalid", trigger: "invalid", delete: "deleted" },
};

/**
 * Looks up the rule for `operation` on a job in `status`.
 * @returns the rule, which is not `"invalid"`.
 * @throws `INVALID_STATE` when the operation is not allowed.
 */
export function ruleFor(jobId: string, status: JobStatus, operation: JobOperation): Exclude<TransitionRule, "invalid"> {
  const rule = TRANSITION_RULES[status][operation];
  if (rule === "invalid") {
    throw new SchedulerError(`cannot ${operation} job ${jobId}: it is ${status}`, "INVALID_STATE", { field: "jobId" });
  }
  return rule;
}
