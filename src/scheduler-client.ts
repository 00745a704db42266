import type { CallOptions, ListOptions } from "./types/call-options.js";
import type { JobExecution } from "./types/execution.js";
import type { Job, JobFilter, JobRequest } from "./types/job.js";
import type { EnsureJobResult, JobChanges } from "./types/job-changes.js";
import type { JsonPayload } from "./types/json.js";

/**
 * The scheduler operations, implemented by {@link GrpcSchedulerClient} (a real server) and
 * {@link InMemorySchedulerClient} (a faithful in-process double). Code written against this
 * interface runs unchanged on both.
 *
 * Every method rejects with a `SchedulerError` (see its `code`) or, when `options.signal` aborts,
 * with the signal's reason.
 */
export interface SchedulerClient {
  /**
   * Registers a job; it comes back `pending` with `nextRunAt` set.
   * @throws `INVALID_SCHEDULE`, `INVALID_ARGUMENT` (checked before any network I/O),
   *   `JOB_ALREADY_EXISTS` (`req.key` is in use; `existingJobId` names the job), `TIMEOUT`, `SERVER_ERROR`
   */
  createJob<P = unknown>(req: JobRequest<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<Job<P>>;
  /**
   * Cancels a job. Cancelling a cancelled job is a no-op, so retrying is safe.
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (completed or failed job)
   */
  cancelJob(jobId: string, options?: CallOptions): Promise<void>;
  /**
   * Pauses a pending or running job (a running execution finishes). Pausing a paused job is a no-op.
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (cancelled, completed or failed job)
   */
  pauseJob(jobId: string, options?: CallOptions): Promise<void>;
  /**
   * Resumes a paused job with `nextRunAt` recomputed from now; fires missed while paused are
   * skipped. Resuming a pending or running job is a no-op.
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (cancelled, completed or failed job)
   */
  resumeJob(jobId: string, options?: CallOptions): Promise<void>;
  /**
   * Reads one job.
   * @throws `JOB_NOT_FOUND`
   */
  getJob<P = unknown>(jobId: string, options?: CallOptions): Promise<Job<P>>;
  /** Every job that matches `filter`, oldest first (pages through the server). */
  listJobs<P = unknown>(filter?: JobFilter, options?: ListOptions): Promise<Job<P>[]>;
  /**
   * A job's executions, oldest first (pages through the server). Servers keep a bounded history.
   * @throws `JOB_NOT_FOUND`
   */
  getExecutions(jobId: string, options?: ListOptions): Promise<JobExecution[]>;
  /** Like {@link SchedulerClient.listJobs}, one page at a time, as the loop consumes it. (Additive.) */
  iterateJobs<P = unknown>(filter?: JobFilter, options?: ListOptions): AsyncIterable<Job<P>>;
  /** Like {@link SchedulerClient.getExecutions}, one page at a time. (Additive.) */
  iterateExecutions(jobId: string, options?: ListOptions): AsyncIterable<JobExecution>;
  /**
   * The start-up call: makes the job with `req.key` (required) be as `req` says, atomically on
   * the scheduler - creates it (`"created"`), finds it as requested (`"unchanged"`), or updates
   * every field to the request (`"updated"`, as {@link SchedulerClient.updateJob}). Replicas
   * calling it at once end with one job. A one-shot whose `runAt` has passed matches the job it
   * created. `idempotencyKey` is not used (the key makes the call safe to repeat). (Additive.)
   * @throws `INVALID_ARGUMENT` (no `key`, or a rule of `createJob`), `INVALID_SCHEDULE`,
   *   `INVALID_STATE` (the job with the key is completed, failed or cancelled and the request differs)
   */
  ensureJob<P = unknown>(req: JobRequest<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<EnsureJobResult<P>>;
  /**
   * Changes the fields given in `changes` (the others keep their values) and returns the job.
   * The next fire is recomputed from now; an execution running is not disturbed (it keeps the
   * job, and the timeout, it started with). (Additive.)
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (completed, failed or cancelled job), and the
   *   `INVALID_ARGUMENT` / `INVALID_SCHEDULE` of `createJob` with the same field names
   */
  updateJob<P = unknown>(jobId: string, changes: JobChanges<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<Job<P>>;
  /**
   * Runs the job now, outside its schedule, and returns the execution it started (trigger
   * `"manual"`, attempt 1; already finished if the executor finished at once). A paused job runs
   * and stays paused. A running job follows its overlap policy: under `"allow_all"` another
   * execution starts; under `"skip"` and `"buffer_one"` the call fails with `INVALID_STATE`.
   * Under `"skip"` the fires the run overlaps are skipped. The gRPC client sends a request id, so
   * its retries never start a second execution. (Additive.)
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (completed, failed or cancelled job; running, see above)
   */
  triggerJob(jobId: string, options?: CallOptions): Promise<JobExecution>;
  /**
   * Removes the job and its executions; its key is free again and every later call on it fails
   * with `JOB_NOT_FOUND`. A running execution is aborted. Deleting a deleted job resolves (within
   * the scheduler's idempotency window, 24 h by default), so retrying is safe. (Additive.)
   * @throws `JOB_NOT_FOUND` (an id that never named a job)
   */
  deleteJob(jobId: string, options?: CallOptions): Promise<void>;
  /**
   * The job's next `count` fire times as the scheduler computes them, earliest first: time zone,
   * daylight saving time and active window included; none while paused or ended; a one-shot's
   * single fire until it has run. Owed retries are not fires. (Additive.)
   * @param count 1 to 100. @default 10
   * @throws `JOB_NOT_FOUND`, `INVALID_ARGUMENT` (field `count`)
   */
  getUpcomingFires(jobId: string, count?: number, options?: CallOptions): Promise<Date[]>;
  /**
   * The client's clock: simulated time on an `InMemorySchedulerClient` with a manual clock (so
   * code under test computes `runAt` from `client.now()`, not `Date.now()`), this machine's clock on
   * a `GrpcSchedulerClient` (a test server with a manual clock tells its own: `server.now()`).
   * (Additive.)
   */
  now(): Date;
  /**
   * Releases the client (connections, timers; what works afterwards is up to the client). Idempotent;
   * a promise on every implementation, so `await client.close()` works whatever the client.
   * (Additive: both clients had it, now the interface says so.)
   */
  close(): Promise<void>;
}
