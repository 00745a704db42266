import type { Schedule } from "./schedule.js";

/** The lifecycle state of a job. See the README's status table for every transition. */
export type JobStatus = "pending" | "running" | "completed" | "failed" | "paused" | "cancelled";

/** Every {@link JobStatus}, in the order of the contract's enum. */
export const JOB_STATUSES = [
  "pending",
  "running",
  "completed",
  "failed",
  "paused",
  "cancelled",
] as const satisfies readonly JobStatus[];

/**
 * What a fire does when it finds an execution of the same job still running (or a retry of one
 * still owed):
 * - `"skip"`: the fire is skipped; the next one is computed when the execution ends (the
 *   behaviour of 0.1.0, and the default);
 * - `"buffer_one"`: one fire is kept and runs as soon as the execution and its retries end;
 *   further fires while one is kept are skipped;
 * - `"allow_all"`: the fire starts another execution at once, alongside the running ones.
 */
export type OverlapPolicy = "skip" | "buffer_one" | "allow_all";

/** Every {@link OverlapPolicy}, in the order of the contract's enum. */
export const OVERLAP_POLICIES = ["skip", "buffer_one", "allow_all"] as const satisfies readonly OverlapPolicy[];

/**
 * What to register.
 * @typeParam P - the payload's type (checked to be JSON by `createJob`); `unknown` by default.
 */
export interface JobRequest<P = unknown> {
  /** 1 to 200 characters, not only white space. Names need not be unique. */
  name: string;
  /** When the job fires. */
  schedule: Schedule;
  /**
   * Any JSON value (object, array, string, finite number, boolean or null), at most 1 MiB as
   * JSON text. It comes back exactly as given. Functions, symbols, BigInts, non-finite numbers,
   * cycles, `undefined` inside it and non-plain objects (`Date`, `Map`, class instances) are
   * rejected with `INVALID_ARGUMENT` rather than silently changed.
   * @default null (left out, or `undefined`: the same rule as the CLI's)
   */
  payload?: P;
  /** Retries after a failed or timed-out attempt, 0 to 100. @default 0 */
  maxRetries?: number;
  /** How long one execution may run, in seconds, 1 to 86400. @default 60 */
  timeoutSecs?: number;
  /**
   * Makes the create safe to retry: the scheduler returns the job the first request with this
   * key created (within its idempotency window, 24 h by default) instead of creating another,
   * and rejects the same key with a different request (`INVALID_ARGUMENT`). 1 to 128 printable
   * ASCII characters. (Additive.)
   * @default `GrpcSchedulerClient` generates a UUID per `createJob` call and reuses it for that
   * call's retries; the in-memory client deduplicates only when you set one.
   */
  idempotencyKey?: string;
  /**
   * A caller-chosen unique key, 1 to 128 printable ASCII characters (for example
   * `"daily-report/TENANT-001"`): no two jobs that are not deleted share one. `createJob` with a
   * key in use fails with `JOB_ALREADY_EXISTS` (the error's `existingJobId` names the job);
   * `ensureJob` finds the job by it. It cannot be changed; it is free again once the job is
   * deleted. (Additive.)
   * @default no key
   */
  key?: string;
  /** What a fire does while an execution of the job runs. (Additive.) @default "skip" */
  overlap?: OverlapPolicy;
  /**
   * Cron and interval schedules only: no fire before this instant. An interval counts from it
   * (first fire one interval after `startAt`) instead of from the creation. (Additive.)
   * @default no start
   */
  startAt?: Date;
  /**
   * Cron and interval schedules only: no fire after this instant. It must be after `startAt` and
   * leave at least one fire; once the last fire in the window has run, the job is `completed`.
   * (Additive.)
   * @default no end
   */
  endAt?: Date;
}

/**
 * A registered job, as the scheduler holds it.
 * @typeParam P - the payload's type as the caller states it (`getJob<ReportPayload>(id)`; not
 * checked at run time); `unknown` by default.
 */
export interface Job<P = unknown> {
  /** Server-assigned id. */
  id: string;
  /** The name it was registered with. */
  name: string;
  /** When it fires. */
  schedule: Schedule;
  /** Where it is in its lifecycle. */
  status: JobStatus;
  /** The payload as registered (a fresh copy on every read). */
  payload: P;
  /** Retries after a failed or timed-out attempt. */
  maxRetries: number;
  /** Per-execution timeout, in seconds. */
  timeoutSecs: number;
  /** When it was registered (server time). */
  createdAt: Date;
  /**
   * The next fire (or pending retry); absent while paused and in terminal states, and while
   * running under the `"skip"` overlap policy.
   */
  nextRunAt?: Date;
  /** Its unique key, when it was registered with one. (Additive.) */
  key?: string;
  /** What a fire does while an execution runs. (Additive.) */
  overlap: OverlapPolicy;
  /** No fire before this instant, when set. (Additive.) */
  startAt?: Date;
  /** No fire after this instant, when set. (Additive.) */
  endAt?: Date;
}

/** Narrows a job listing. Every field is optional; an empty filter matches every job. */
export interface JobFilter {
  /** Only jobs in this status. */
  status?: JobStatus;
  /** Only jobs whose name starts with this prefix (case-sensitive). */
  namePrefix?: string;
  /** Only the job with this key (at most one). (Additive.) */
  key?: string;
}
