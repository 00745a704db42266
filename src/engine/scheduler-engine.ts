import { SchedulerError } from "../errors/scheduler-error.js";
import { isThenable } from "../internal/is-thenable.js";
import type { ExecutionResult, JobCompletedEvent, JobExecution } from "../types/execution.js";
import type { JobFilter } from "../types/job.js";
import { type JobSpec, type StoredJob, toJob } from "../types/job-spec.js";
import { resolvePageSize, validateJobId, validateJobSpec } from "../validation/request-rules.js";
import type { Alarm, Clock } from "./clock.js";
import { executionContext, LazyAbortController } from "./execution-context.js";
import { ExecutionHistory, type ExecutionRecord, toJobExecution } from "./execution-history.js";
import { IdempotencyStore } from "./idempotency-store.js";
import { type Executor, succeedAtOnce } from "./executor.js";
import { newId } from "./ids.js";
import { applyOperation, type JobOperation } from "./job-lifecycle.js";
import { type JobRecord, nextRecurringFire, type RunningExecution, toStoredJob } from "./job-record.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { TimerQueue } from "./timer-queue.js";

/** Options of a {@link SchedulerEngine}; every one has a stated default. */
export interface SchedulerEngineOptions {
  clock: Clock;
  /** Runs executions. @default every execution succeeds at once */
  executor?: Executor;
  /** Executions kept per job; older ones are dropped. @default 100 */
  executionHistoryLimit?: number;
  /** Delay before the first retry of a failed attempt. @default 1000 */
  retryInitialBackoffMs?: number;
  /** Longest delay between retries; each retry doubles the delay up to this. @default 60000 */
  retryMaxBackoffMs?: number;
  /** How long an idempotency key is remembered. @default 86400000 (24 h) */
  idempotencyWindowMs?: number;
  /**
   * Most jobs the engine holds (jobs are never removed, so this is the most it ever creates); a
   * create beyond it fails with `RESOURCE_EXHAUSTED`. A positive whole number or `Infinity`.
   * @default Infinity (no limit; the test server sets its own, see `TestServerOptions.maxJobs`)
   */
  maxJobs?: number;
  /**
   * Most payload bytes (UTF-8 JSON text, summed over every job held); a create whose payload
   * would pass it fails with `RESOURCE_EXHAUSTED`. A positive whole number or `Infinity`.
   * @default Infinity (no limit; the test server sets its own, see `TestServerOptions.maxStoredBytes`)
   */
  maxStoredBytes?: number;
}

/**
 * Lets a listing stop short of its page size to keep the encoded page under a byte budget, but
 * never below one item when any remain.
 */
export interface PageBudget<T> {
  /** Most bytes of one encoded page: its items and its next-page token together. */
  maxBytes: number;
  /** Bytes `item` takes in the encoded page (an upper bound will do), framing included. */
  itemBytes(item: T): number;
  /** Bytes `token` takes in the encoded page as its next-page token (an upper bound will do). */
  tokenBytes(token: string): number;
}

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** A listener for finished executions. */
export type JobCompletedListener = (event: JobCompletedEvent) => void;

/**
 * The scheduling engine shared by {@link InMemorySchedulerClient} and the test server: job
 * store, status rules, one timer queue for every fire, retry and timeout, executions through the
 * executor hook, and completion events. All times come from the injected clock.
 */
export class SchedulerEngine {
  private readonly clock: Clock;
  private readonly executor: Executor;
  private readonly historyLimit: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly jobs = new Map<string, JobRecord>();
  /** Jobs in creation order; index = seq. */
  private readonly bySeq: JobRecord[] = [];
  private readonly timers = new TimerQueue();
  private readonly idempotency: IdempotencyStore;
  private readonly maxJobs: number;
  private readonly maxStoredBytes: number;
  /** Payload bytes (UTF-8) of every job held. */
  private storedBytes = 0;
  private readonly listeners = new Set<JobCompletedListener>();
  private alarm: Alarm | undefined;
  private alarmAtMs: number | undefined;
  private asyncExecutions = 0;
  private closed = false;

  constructor(options: SchedulerEngineOptions) {
    this.clock = options.clock;
    this.executor = options.executor ?? succeedAtOnce;
    this.historyLimit = positiveInteger("executionHistoryLimit", options.executionHistoryLimit, 100);
    this.backoffInitialMs = positiveInteger("retryInitialBackoffMs", options.retryInitialBackoffMs, 1_000);
    this.backoffMaxMs = positiveInteger("retryMaxBackoffMs", options.retryMaxBackoffMs, 60_000);
    this.idempotency = new IdempotencyStore(positiveInteger("idempotencyWindowMs", options.idempotencyWindowMs, 86_400_000));
    this.maxJobs = limit("maxJobs", options.maxJobs);
    this.maxStoredBytes = limit("maxStoredBytes", options.maxStoredBytes);
  }

  /** What the engine holds against its limits (`maxJobs`, `maxStoredBytes`). */
  usage(): { jobs: number; storedBytes: number; maxJobs: number; maxStoredBytes: number } {
    return { jobs: this.bySeq.length, storedBytes: this.storedBytes, maxJobs: this.maxJobs, maxStoredBytes: this.maxStoredBytes };
  }

  /** The engine's current time. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Registers a job after validating `spec` against the engine's clock. A spec with an
   * idempotency key seen before returns the job that key created (before any time-dependent
   * validation, so a retry after a one-shot's time still gets the original).
   * @throws `INVALID_SCHEDULE`, `INVALID_ARGUMENT` (also: key reused for a different request),
   *   `RESOURCE_EXHAUSTED` (`maxJobs` or `maxStoredBytes` reached; the message names the limit)
   */
  createJob(spec: JobSpec): StoredJob {
    this.assertOpen();
    const nowMs = this.clock.now();
    const key = typeof spec.idempotencyKey === "string" ? spec.idempotencyKey : undefined;
    const earlier = key === undefined ? undefined : this.idempotency.lookup(key, spec, nowMs);
    if (earlier !== undefined) return toStoredJob(this.jobs.get(earlier) as JobRecord);
    const valid = validateJobSpec(spec, nowMs);
    const payloadBytes = this.admit(valid);
    const record: JobRecord = {
      id: newId(),
      seq: this.bySeq.length,
      spec: valid,
      createdAtMs: nowMs,
      history: new ExecutionHistory(this.historyLimit),
      status: "pending",
      nextRunAtMs: undefined,
      timer: undefined,
      nextAttempt: 1,
      retryAtMs: undefined,
      running: undefined,
    };
    this.jobs.set(record.id, record);
    this.bySeq.push(record);
    this.storedBytes += payloadBytes;
    this.scheduleNext(record, nowMs);
    if (key !== undefined) this.idempotency.remember(key, spec, record.id, nowMs);
    return toStoredJob(record);
  }

  /** @throws `JOB_NOT_FOUND` */
  getJob(jobId: string): StoredJob {
    return toStoredJob(this.find(jobId));
  }

  /** Every job, oldest first (the in-memory client's `getAll`). */
  allJobs(): StoredJob[] {
    return this.bySeq.map(toStoredJob);
  }

  /** @throws `JOB_NOT_FOUND`, `INVALID_STATE` */
  pauseJob(jobId: string): StoredJob {
    return this.operate(jobId, "pause");
  }

  /** @throws `JOB_NOT_FOUND`, `INVALID_STATE` */
  resumeJob(jobId: string): StoredJob {
    return this.operate(jobId, "resume");
  }

  /** @throws `JOB_NOT_FOUND`, `INVALID_STATE` */
  cancelJob(jobId: string): StoredJob {
    return this.operate(jobId, "cancel");
  }

  /**
   * One page of jobs matching `filter`, oldest first: `pageSize` jobs, or fewer where `budget`
   * says the page is full (at least one while any remain; `nextPageToken` is set whenever the
   * page stopped short of the end).
   * @throws `INVALID_ARGUMENT` for a bad page size or token.
   */
  listJobs(filter: JobFilter, pageSize: number | undefined, pageToken: string, budget?: PageBudget<StoredJob>): Page<StoredJob> {
    const size = resolvePageSize(pageSize);
    const scope = `jobs:${filter.status ?? ""}:${filter.namePrefix ?? ""}`;
    const items: StoredJob[] = [];
    let seq = decodePageToken(pageToken, scope) + 1;
    const room = new PageRoom(budget, scope);
    let full = false;
    for (; seq < this.bySeq.length && items.length < size; seq++) {
      const r = this.bySeq[seq];
      if (filter.status !== undefined && r.status !== filter.status) continue;
      if (filter.namePrefix !== undefined && !r.spec.name.startsWith(filter.namePrefix)) continue;
      const job = toStoredJob(r);
      if (!room.admits(job, items.length)) {
        full = true;
        break;
      }
      items.push(job);
    }
    const more = full || (items.length === size && seq < this.bySeq.length);
    return { items, nextPageToken: more ? encodePageToken(scope, seq - 1) : "" };
  }

  /**
   * One page of a job's executions, oldest first: `pageSize` of them, or fewer where `budget`
   * says the page is full (at least one while any remain).
   * @throws `JOB_NOT_FOUND`, `INVALID_ARGUMENT`
   */
  listExecutions(jobId: string, pageSize: number | undefined, pageToken: string, budget?: PageBudget<JobExecution>): Page<JobExecution> {
    const record = this.find(jobId);
    const size = resolvePageSize(pageSize);
    const scope = `executions:${jobId}`;
    const page = record.history.page(decodePageToken(pageToken, scope), size);
    const items = page.items.map(toJobExecution);
    let { lastSeq, more } = page;
    const room = new PageRoom(budget, scope);
    for (let i = 0; i < items.length; i++) {
      if (!room.admits(items[i], i)) {
        lastSeq -= items.length - i;
        items.length = i;
        more = true;
        break;
      }
    }
    return { items, nextPageToken: more ? encodePageToken(scope, lastSeq) : "" };
  }

  /** Calls `listener` for every finished execution. @returns a function that unsubscribes. */
  onJobCompleted(listener: JobCompletedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops firing: drops every timer and aborts running executions. Reads keep working; writes
   * fail with `INVALID_STATE`.
   */
  close(): void {
    this.closed = true;
    this.alarm?.cancel();
    this.alarm = undefined;
    this.timers.clear();
    for (const r of this.bySeq) r.running?.controller.abort(new Error("scheduler engine closed"));
  }

  /**
   * Checks a valid spec against `maxJobs` and `maxStoredBytes`.
   * @returns its payload size in bytes.
   * @throws `RESOURCE_EXHAUSTED` naming the limit and its value.
   */
  private admit(spec: JobSpec): number {
    if (this.bySeq.length >= this.maxJobs) {
      throw new SchedulerError(
        `job limit reached: this scheduler already holds ${this.bySeq.length} jobs (maxJobs = ${this.maxJobs}); no more can be created`,
        "RESOURCE_EXHAUSTED",
      );
    }
    const bytes = Buffer.byteLength(spec.payloadJson, "utf8");
    if (this.storedBytes + bytes > this.maxStoredBytes) {
      throw new SchedulerError(
        `stored payload limit reached: this scheduler holds ${this.storedBytes} bytes of job payloads and this ${bytes}-byte payload would pass maxStoredBytes = ${this.maxStoredBytes}`,
        "RESOURCE_EXHAUSTED",
      );
    }
    return bytes;
  }

  private assertOpen(): void {
    if (this.closed) throw new SchedulerError("the scheduler is closed", "INVALID_STATE");
  }

  private find(jobId: string): JobRecord {
    const record = this.jobs.get(validateJobId(jobId));
    if (record === undefined) {
      throw new SchedulerError(`job ${jobId} not found`, "JOB_NOT_FOUND", { field: "jobId" });
    }
    return record;
  }

  private operate(jobId: string, operation: JobOperation): StoredJob {
    this.assertOpen();
    const r = this.find(jobId);
    const to = applyOperation(r.id, r.status, operation);
    if (to === undefined) return toStoredJob(r);
    this.timers.cancel(r.timer);
    r.timer = undefined;
    r.nextRunAtMs = undefined;
    if (to === "cancelled") {
      r.status = "cancelled";
      r.running?.controller.abort(new Error(`job ${r.id} was cancelled`));
    } else if (to === "paused") {
      r.status = "paused";
    } else if (r.running !== undefined) {
      // Resumed while the execution it was paused during is still running.
      r.status = "running";
    } else {
      this.resume(r);
    }
    return toStoredJob(r);
  }

  private resume(r: JobRecord): void {
    const nowMs = this.clock.now();
    r.status = "pending";
    const s = r.spec.schedule;
    if (r.retryAtMs !== undefined) {
      // An owed retry keeps its backoff; it runs at once only if its time has passed.
      this.setTimer(r, Math.max(r.retryAtMs, nowMs));
    } else if (s.type === "one_shot") {
      // A one-shot's single fire is never skipped: it runs at once if its time passed while paused.
      this.setTimer(r, Math.max(s.runAt.getTime(), nowMs));
    } else {
      this.scheduleNext(r, nowMs);
    }
  }

  /** Schedules the first fire after `afterMs` (the creation fire for a one-shot). */
  private scheduleNext(r: JobRecord, afterMs: number): void {
    const s = r.spec.schedule;
    const at = s.type === "one_shot" ? Math.max(s.runAt.getTime(), afterMs) : nextRecurringFire(r, afterMs);
    if (at === undefined) {
      // Defensive: validation refuses expressions that never fire, and year fields are not
      // accepted, so a 5- or 6-field expression always has a next match.
      r.status = "completed";
      r.nextRunAtMs = undefined;
      return;
    }
    r.status = "pending";
    this.setTimer(r, at);
  }

  private setTimer(r: JobRecord, atMs: number): void {
    if (this.closed) return;
    r.nextRunAtMs = atMs;
    r.timer = this.timers.push(atMs, () => this.fire(r));
    this.arm();
  }

  private arm(): void {
    const head = this.timers.peek();
    if (head === undefined || this.closed) return;
    if (this.alarmAtMs !== undefined && this.alarmAtMs <= head.atMs) return;
    this.alarm?.cancel();
    this.alarmAtMs = head.atMs;
    this.alarm = this.clock.setAlarm(head.atMs, () => this.onAlarm());
  }

  private onAlarm(): Promise<void> | undefined {
    this.alarm = undefined;
    this.alarmAtMs = undefined;
    const nowMs = this.clock.now();
    for (let due = this.timers.popDue(nowMs); due !== undefined; due = this.timers.popDue(nowMs)) {
      due.run();
    }
    this.arm();
    // Let executors that resolve without real I/O settle before a manual clock moves on.
    return this.asyncExecutions > 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined;
  }

  private fire(r: JobRecord): void {
    const nowMs = this.clock.now();
    r.timer = undefined;
    r.nextRunAtMs = undefined;
    r.retryAtMs = undefined;
    r.status = "running";
    const record: ExecutionRecord = {
      id: newId(),
      jobId: r.id,
      startedAtMs: nowMs,
      attempt: r.nextAttempt,
      finishedAtMs: undefined,
      result: "running",
      error: undefined,
    };
    r.history.add(record);
    const controller = new LazyAbortController();
    const running: RunningExecution = { record, controller, timeout: undefined };
    r.running = running;
    let outcome: unknown;
    try {
      outcome = this.executor(executionContext(toJob(toStoredJob(r)), record.id, record.attempt, controller));
    } catch (err) {
      this.finish(r, running, "failed", errorText(err));
      return;
    }
    if (isThenable(outcome)) {
      // Only an execution still running after the executor returned can time out: the timeout
      // entry (due timeoutSecs after the start) is pushed now, not for every execution.
      if (!this.closed) {
        running.timeout = this.timers.push(nowMs + r.spec.timeoutSecs * 1000, () => {
          const reason = `timed out after ${r.spec.timeoutSecs} s (timeoutSecs)`;
          controller.abort(new DOMException(reason, "TimeoutError"));
          this.finish(r, running, "timed_out", reason);
        });
      }
      this.asyncExecutions++;
      // Promise.resolve adopts any thenable, not only native promises.
      Promise.resolve(outcome)
        .then(
          () => this.finish(r, running, "succeeded", undefined),
          (err: unknown) => this.finish(r, running, "failed", errorText(err)),
        )
        .finally(() => this.asyncExecutions--);
    } else {
      this.finish(r, running, "succeeded", undefined);
    }
  }

  private finish(r: JobRecord, running: RunningExecution, result: ExecutionResult, error: string | undefined): void {
    const { record } = running;
    if (record.result !== "running") return; // already finished by its timeout
    const nowMs = this.clock.now();
    record.result = result;
    record.finishedAtMs = nowMs;
    record.error = error;
    this.timers.cancel(running.timeout);
    r.running = undefined;
    this.afterExecution(r, result !== "succeeded", nowMs);
    if (this.listeners.size === 0) return;
    this.emit({
      jobId: r.id,
      executionId: record.id,
      completedAt: new Date(nowMs),
      result,
      jobName: r.spec.name,
      attempt: record.attempt,
      ...(error === undefined ? {} : { error }),
    });
  }

  private afterExecution(r: JobRecord, failed: boolean, nowMs: number): void {
    const attempt = r.nextAttempt;
    const retry = failed && attempt <= r.spec.maxRetries;
    r.nextAttempt = retry ? attempt + 1 : 1;
    r.retryAtMs = retry ? nowMs + this.backoffMs(attempt) : undefined;
    const oneShot = r.spec.schedule.type === "one_shot";
    if (r.status === "cancelled") return;
    if (r.status === "paused") {
      // Nothing new fires while paused; a one-shot whose run is over still reaches its end state.
      if (oneShot && !retry) r.status = failed ? "failed" : "completed";
      return;
    }
    if (r.retryAtMs !== undefined) {
      r.status = "pending";
      this.setTimer(r, r.retryAtMs);
    } else if (oneShot) {
      r.status = failed ? "failed" : "completed";
    } else {
      this.scheduleNext(r, nowMs);
    }
  }

  /** Delay before the retry that follows failed attempt `attempt`: initial * 2^(attempt-1), capped. */
  private backoffMs(attempt: number): number {
    return Math.min(this.backoffInitialMs * 2 ** (attempt - 1), this.backoffMaxMs);
  }

  private emit(event: JobCompletedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // A listener's bug must not corrupt the engine's state; surface it on its own tick.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

const MAX_ERROR_LENGTH = 4_096;


function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** The byte budget of one page being filled, shared by both listings. */
class PageRoom<T> {
  /** Bytes left for items once the longest next-page token this listing could issue is set aside. */
  private readonly room: number;
  private used = 0;

  constructor(
    private readonly budget: PageBudget<T> | undefined,
    scope: string,
  ) {
    this.room = budget === undefined ? Infinity : budget.maxBytes - budget.tokenBytes(encodePageToken(scope, Number.MAX_SAFE_INTEGER));
  }

  /** Whether `item` still fits after `itemsSoFar` items (the first always does), counting it if so. */
  admits(item: T, itemsSoFar: number): boolean {
    if (this.budget === undefined) return true;
    const bytes = this.budget.itemBytes(item);
    if (itemsSoFar > 0 && this.used + bytes > this.room) return false;
    this.used += bytes;
    return true;
  }
}

/** A limit option: a positive whole number, or `Infinity` (the default) for none. */
function limit(name: string, value: number | undefined): number {
  if (value === undefined || value === Infinity) return Infinity;
  return positiveInteger(name, value, Infinity);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SchedulerError(`${name} must be a positive whole number, got ${String(value)}`, "INVALID_ARGUMENT", {
      field: name,
    });
  }
  return value;
}
