import { type Clock, type ClockOption, ManualClock, resolveClock } from "../engine/clock.js";
import type { Executor } from "../engine/executor.js";
import { type JobCompletedListener, SchedulerEngine } from "../engine/scheduler-engine.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import { InMemoryJobCompletedSubscriber, type InMemorySubscriberOptions } from "../events/in-memory-subscriber.js";
import type { JobCompletedSubscriber } from "../events/job-completed-subscriber.js";
import { checkCallOptions } from "../internal/call-options.js";
import { collectPages, type PageResult, paginate } from "../internal/paginate.js";
import type { SchedulerClient } from "../scheduler-client.js";
import type { CallOptions, ListOptions } from "../types/call-options.js";
import type { JobExecution } from "../types/execution.js";
import type { Job, JobFilter, JobRequest } from "../types/job.js";
import type { JsonPayload } from "../types/json.js";
import type { EnsureJobResult, JobChanges } from "../types/job-changes.js";
import { toJob } from "../types/job-spec.js";
import { toSpecChanges } from "../validation/change-rules.js";
import { toEnsureSpec, toJobSpec, validateFilter } from "../validation/request-rules.js";

/** Options of {@link InMemorySchedulerClient} (the test server takes the same scheduling options). */
export interface InMemorySchedulerClientOptions {
  /**
   * `"system"` (real time), `"manual"` (time stands still until `advanceTime`), or your own clock.
   * @default "system"
   */
  clock?: ClockOption;
  /** Start of a `"manual"` clock. @default the current time */
  startTime?: Date;
  /**
   * With the `"system"` clock: keep Node.js running while a job is scheduled, so a script that
   * only registers jobs runs them (call `close()` to let it exit). Off, timers never hold the
   * process, as a library's should. @default false
   */
  keepAlive?: boolean;
  /** Runs each execution. @default every execution succeeds at once */
  executor?: Executor;
  /** Executions kept per job. @default 100 */
  executionHistoryLimit?: number;
  /** Delay before the first retry; doubles per retry. @default 1000 */
  retryInitialBackoffMs?: number;
  /** Longest delay between retries. @default 60000 */
  retryMaxBackoffMs?: number;
  /**
   * How long an idempotency key, a `triggerJob` request id and a deleted job's id (so that
   * deleting it again resolves) are remembered. @default 86400000 (24 h)
   */
  idempotencyWindowMs?: number;
}

/**
 * A faithful in-process {@link SchedulerClient} for tests: the same engine, validation, status
 * rules and errors as the test server, without a network. With `{ clock: "manual" }` time moves
 * only when you call {@link InMemorySchedulerClient.advanceTime}.
 *
 * @example
 * ```ts
 * const client = new InMemorySchedulerClient({ clock: "manual" });
 * const job = await client.createJob({ name: "tick", schedule: { type: "interval", intervalMs: 1000 }, payload: null });
 * await client.advanceTime(3000);
 * (await client.getExecutions(job.id)).length; // 3
 * ```
 */
export class InMemorySchedulerClient implements SchedulerClient {
  private readonly engine: SchedulerEngine;
  private readonly clock: Clock;

  constructor(options: InMemorySchedulerClientOptions = {}) {
    this.clock = resolveClock(options.clock, options.startTime, options.keepAlive);
    this.engine = new SchedulerEngine({ ...options, clock: this.clock });
  }

  async createJob<P = unknown>(req: JobRequest<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<Job<P>> {
    checkCallOptions(options);
    return toJob(this.engine.createJob(toJobSpec(req, this.engine.now()))) as Job<P>;
  }

  async cancelJob(jobId: string, options?: CallOptions): Promise<void> {
    checkCallOptions(options);
    this.engine.cancelJob(jobId);
  }

  async pauseJob(jobId: string, options?: CallOptions): Promise<void> {
    checkCallOptions(options);
    this.engine.pauseJob(jobId);
  }

  async resumeJob(jobId: string, options?: CallOptions): Promise<void> {
    checkCallOptions(options);
    this.engine.resumeJob(jobId);
  }

  async getJob<P = unknown>(jobId: string, options?: CallOptions): Promise<Job<P>> {
    checkCallOptions(options);
    return toJob(this.engine.getJob(jobId)) as Job<P>;
  }

  async ensureJob<P = unknown>(req: JobRequest<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<EnsureJobResult<P>> {
    checkCallOptions(options);
    const { job, outcome } = this.engine.ensureJob(toEnsureSpec(req, this.engine.now()));
    return { job: toJob(job) as Job<P>, outcome };
  }

  async updateJob<P = unknown>(jobId: string, changes: JobChanges<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<Job<P>> {
    checkCallOptions(options);
    return toJob(this.engine.updateJob(jobId, toSpecChanges(changes, this.engine.now()))) as Job<P>;
  }

  async triggerJob(jobId: string, options?: CallOptions): Promise<JobExecution> {
    checkCallOptions(options);
    return this.engine.triggerJob(jobId);
  }

  async deleteJob(jobId: string, options?: CallOptions): Promise<void> {
    checkCallOptions(options);
    this.engine.deleteJob(jobId);
  }

  async getUpcomingFires(jobId: string, count?: number, options?: CallOptions): Promise<Date[]> {
    checkCallOptions(options);
    return this.engine.upcomingFires(jobId, count);
  }

  async listJobs<P = unknown>(filter?: JobFilter, options?: ListOptions): Promise<Job<P>[]> {
    return (await collectPages(this.jobPages(filter, options))) as Job<P>[];
  }

  async getExecutions(jobId: string, options?: ListOptions): Promise<JobExecution[]> {
    return collectPages(this.executionPages(jobId, options));
  }

  async *iterateJobs<P = unknown>(filter?: JobFilter, options?: ListOptions): AsyncGenerator<Job<P>, void> {
    yield* paginate(this.jobPages(filter, options)) as AsyncGenerator<Job<P>, void>;
  }

  async *iterateExecutions(jobId: string, options?: ListOptions): AsyncGenerator<JobExecution, void> {
    yield* paginate(this.executionPages(jobId, options));
  }

  private jobPages(filter: JobFilter | undefined, options: ListOptions | undefined): (token: string) => Promise<PageResult<Job>> {
    const valid = validateFilter(filter);
    return async (token) => {
      checkCallOptions(options);
      const page = this.engine.listJobs(valid, options?.pageSize, token);
      return { items: page.items.map(toJob), nextPageToken: page.nextPageToken };
    };
  }

  private executionPages(jobId: string, options: ListOptions | undefined): (token: string) => Promise<PageResult<JobExecution>> {
    return async (token) => {
      checkCallOptions(options);
      return this.engine.listExecutions(jobId, options?.pageSize, token);
    };
  }

  /** Every job not deleted, oldest first (a test helper outside {@link SchedulerClient}, as in the design). */
  getAll(): Job[] {
    return this.engine.allJobs().map(toJob);
  }

  /**
   * Calls `listener` for each finished execution, in process. Exceptions the listener throws
   * are re-thrown on their own tick, so they fail the test instead of vanishing.
   * @returns a function that unsubscribes.
   */
  onJobCompleted(listener: JobCompletedListener): () => void {
    return this.engine.onJobCompleted(listener);
  }

  /**
   * The completion events of this client behind the same {@link JobCompletedSubscriber} shape as
   * `KafkaJobCompletedSubscriber`, so code that consumes events can be tested in process.
   */
  subscriber(options?: InMemorySubscriberOptions): JobCompletedSubscriber {
    return new InMemoryJobCompletedSubscriber(this.engine, options);
  }

  /**
   * Moves the manual clock forward, running every fire, retry and timeout due on the way.
   * @throws `INVALID_STATE` unless the client was built with `{ clock: "manual" }`.
   */
  advanceTime(ms: number): Promise<void> {
    if (!(this.clock instanceof ManualClock)) {
      return Promise.reject(new SchedulerError('advanceTime needs a client built with { clock: "manual" }', "INVALID_STATE"));
    }
    return this.clock.advanceTime(ms);
  }

  /** The client's current time (simulated with a manual clock). */
  now(): Date {
    return new Date(this.clock.now());
  }

  /** Stops all timers and aborts running executions; resolves at once. Reads keep working. */
  close(): Promise<void> {
    this.engine.close();
    return Promise.resolve();
  }
}
