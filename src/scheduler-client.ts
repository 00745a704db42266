import type { CallOptions, ListOptions } from "./types/call-options.js";
import type { JobExecution } from "./types/execution.js";
import type { Job, JobFilter, JobRequest } from "./types/job.js";

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
   * @throws `INVALID_SCHEDULE`, `INVALID_ARGUMENT` (checked before any network I/O), `TIMEOUT`, `SERVER_ERROR`
   */
  createJob(req: JobRequest, options?: CallOptions): Promise<Job>;
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
  getJob(jobId: string, options?: CallOptions): Promise<Job>;
  /** Every job that matches `filter`, oldest first (pages through the server). */
  listJobs(filter?: JobFilter, options?: ListOptions): Promise<Job[]>;
  /**
   * A job's executions, oldest first (pages through the server). Servers keep a bounded history.
   * @throws `JOB_NOT_FOUND`
   */
  getExecutions(jobId: string, options?: ListOptions): Promise<JobExecution[]>;
  /** Like {@link SchedulerClient.listJobs}, one page at a time, as the loop consumes it. (Additive.) */
  iterateJobs(filter?: JobFilter, options?: ListOptions): AsyncIterable<Job>;
  /** Like {@link SchedulerClient.getExecutions}, one page at a time. (Additive.) */
  iterateExecutions(jobId: string, options?: ListOptions): AsyncIterable<JobExecution>;
}
