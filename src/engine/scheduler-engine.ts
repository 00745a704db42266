import { SchedulerError } from "../errors/scheduler-error.js";
import { isThenable } from "../internal/is-thenable.js";
import { recurringFiresFrom } from "../schedule/fire-times.js";
import type { ExecutionResult, ExecutionTrigger, JobCompletedEvent, JobExecution } from "../types/execution.js";
import type { JobFilter } from "../types/job.js";
import type { EnsureJobOutcome } from "../types/job-changes.js";
import { applySpecChanges, type JobSpec, type SpecChanges, type StoredJob, toJob, type ValidJobSpec } from "../types/job-spec.js";
import { validateSpecChanges } from "../validation/change-rules.js";
import { invalid } from "../validation/invalid.js";
import { checkKey } from "../validation/job-policy-rules.js";
import { resolveFireCount, resolvePageSize, validateJobId, validateJobSpec } from "../validation/request-rules.js";
import type { Alarm, Clock } from "./clock.js";
import { executionContext, LazyAbortController } from "./execution-context.js";
import { ExecutionHistory, type ExecutionRecord, toJobExecution } from "./execution-history.js";
import { IdempotencyStore } from "./idempotency-store.js";
import { type Executor, succeedAtOnce } from "./executor.js";
import { newId } from "./ids.js";
import { type JobOperation, ruleFor } from "./job-lifecycle.js";
import { fireWindow, type JobRecord, nextRecurringFire, type RunningExecution, toStoredJob } from "./job-record.js";
import { JobStore } from "./job-store.js";
import { type PageBudget, PageRoom } from "./page-room.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { requestDigest } from "./request-digest.js";
import { TimerQueue } from "./timer-queue.js";

export type { PageBudget } from "./page-room.js";

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
  /**
   * How long an idempotency key, a trigger request id and a deleted job's id (so that deleting
   * it again succeeds) are remembered. @default 86400000 (24 h)
   */
  idempotencyWindowMs?: number;
  /**
   * Most jobs the engine holds at once (deleted jobs do not count); a create beyond it fails
   * with `RESOURCE_EXHAUSTED`. A positive whole number or `Infinity`.
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
  private readonly jobs = new JobStore();
  private readonly timers = new TimerQueue();
  private readonly idempotency: IdempotencyStore<string>;
  /** Executions started by TriggerJob, by request id. */
  private readonly triggers: IdempotencyStore<ExecutionRecord>;
  /** Ids of deleted jobs, so that deleting again succeeds within the idempotency window. */
  private readonly deleted: IdempotencyStore<true>;
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
    const windowMs = positiveInteger("idempotencyWindowMs", options.idempotencyWindowMs, 86_400_000);
    this.idempotency = new IdempotencyStore(windowMs, "idempotencyKey");
    this.triggers = new IdempotencyStore(windowMs, "requestId");
    this.deleted = new IdempotencyStore(windowMs, "jobId");
    this.maxJobs = limit("maxJobs", options.maxJobs);
    this.maxStoredBytes = limit("maxStoredBytes", options.maxStoredBytes);
  }

  /** What the engine holds against its limits (`maxJobs`, `maxStoredBytes`). */
  usage(): { jobs: number; storedBytes: number; maxJobs: number; maxStoredBytes: number } {
    return { jobs: this.jobs.size, storedBytes: this.storedBytes, maxJobs: this.maxJobs, maxStoredBytes: this.maxStoredBytes };
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
   *   `JOB_ALREADY_EXISTS` (the job key is in use), `RESOURCE_EXHAUSTED` (`maxJobs` or
   *   `maxStoredBytes` reached; the message names the limit)
   */
  createJob(spec: JobSpec): StoredJob {
    this.assertOpen();
    const nowMs = this.clock.now();
    const key = typeof spec.idempotencyKey === "string" ? spec.idempotencyKey : undefined;
    const digest = key === undefined ? "" : requestDigest(spec);
    const earlier = key === undefined ? undefined : this.idempotency.lookup(key, digest, nowMs);
    const original = earlier === undefined ? undefined : this.jobs.get(earlier);
    if (original !== undefined) return toStoredJob(original);
    const record = this.register(validateJobSpec(spec, nowMs), nowMs);
    if (key !== undefined) this.idempotency.remember(key, digest, record.id, nowMs);
    return toStoredJob(record);
  }

  /**
   * Makes the job with `spec.key` be as `spec` says, atomically: creates it, finds it as it is,
   * or updates it (every field, as {@link SchedulerEngine.updateJob}). A one-shot in the past is
   * accepted when it matches the job (one that has run), not when it is new.
   * @throws `INVALID_ARGUMENT` (no key, or a field breaks a rule), `INVALID_SCHEDULE`,
   *   `INVALID_STATE` (the job with the key is completed, failed or cancelled and differs),
   *   `RESOURCE_EXHAUSTED`
   */
  ensureJob(spec: JobSpec): { job: StoredJob; outcome: EnsureJobOutcome } {
    this.assertOpen();
    if (spec.key === undefined) throw invalid("INVALID_ARGUMENT", "key", undefined, "is required by ensureJob");
    const nowMs = this.clock.now();
    const { idempotencyKey: _ignored, ...wanted } = validateJobSpec(spec, nowMs, { pastRunAtAllowed: true, noFireAllowed: true });
    const existingId = this.jobs.holderOf(checkKey("key", wanted.key));
    const existing = existingId === undefined ? undefined : this.jobs.get(existingId);
    if (existing === undefined) return { job: toStoredJob(this.register(validateJobSpec(wanted, nowMs), nowMs)), outcome: "created" };
    if (requestDigest(existing.spec) === requestDigest(wanted)) return { job: toStoredJob(existing), outcome: "unchanged" };
    const { key: _key, schedule, ...rest } = wanted;
    const changes: SpecChanges = { ...rest, startAt: wanted.startAt ?? null, endAt: wanted.endAt ?? null };
    // An unchanged schedule is left out, so that a one-shot that has run may change its name.
    if (requestDigest({ ...existing.spec, schedule }) !== requestDigest(existing.spec)) changes.schedule = schedule;
    return { job: this.update(existing, changes, nowMs), outcome: "updated" };
  }

  /** @throws `JOB_NOT_FOUND` */
  getJob(jobId: string): StoredJob {
    return toStoredJob(this.find(jobId));
  }

  /** Every job not deleted, oldest first (the in-memory client's `getAll`). */
  allJobs(): StoredJob[] {
    return this.jobs.all().map(toStoredJob);
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
   * Changes the fields present in `changes`, validated as on create, and recomputes the next
   * fire; an execution running keeps the job as it started.
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (completed, failed or cancelled job),
   *   `INVALID_ARGUMENT`, `INVALID_SCHEDULE`, `RESOURCE_EXHAUSTED`
   */
  updateJob(jobId: string, changes: SpecChanges): StoredJob {
    this.assertOpen();
    const r = this.find(jobId);
    const nowMs = this.clock.now();
    return this.update(r, validateSpecChanges(changes, nowMs), nowMs);
  }

  /**
   * Starts an execution of the job now (trigger `manual`, attempt 1). With a `requestId` seen
   * before (within the idempotency window) it returns the execution that request started.
   * @returns the execution as it is when this returns (an executor that finishes at once has
   *   finished it).
   * @throws `JOB_NOT_FOUND`, `INVALID_STATE` (terminal job; a running one under `skip` or
   *   `buffer_one`), `INVALID_ARGUMENT` (request id)
   */
  triggerJob(jobId: string, requestId?: string): JobExecution {
    this.assertOpen();
    const r = this.find(jobId);
    const nowMs = this.clock.now();
    if (requestId !== undefined) {
      const earlier = this.triggers.lookup(checkKey("requestId", requestId), r.id, nowMs);
      if (earlier !== undefined) return toJobExecution(earlier);
    }
    const rule = ruleFor(r.id, r.status, "trigger");
    if ((rule === "overlap" || r.running.length > 0) && r.spec.overlap !== "allow_all") {
      throw new SchedulerError(
        `cannot trigger job ${r.id}: an execution is running and its overlap policy is ${r.spec.overlap} (allow_all runs executions side by side)`,
        "INVALID_STATE",
        { field: "jobId" },
      );
    }
    if (r.spec.overlap === "skip" && r.status === "pending") {
      // Under skip the run takes the place of the fires it overlaps: the next is computed when it ends.
      this.timers.cancel(r.fire);
      r.fire = undefined;
    }
    const record = this.start(r, 1, "manual");
    if (requestId !== undefined) this.triggers.remember(requestId, r.id, record, nowMs);
    return toJobExecution(record);
  }

  /**
   * Removes a job and its executions and frees its key; a running execution is aborted (its
   * completion event still comes). Deleting a job deleted within the idempotency window succeeds.
   * @throws `JOB_NOT_FOUND` for an id that never named a job (or whose deletion was long ago)
   */
  deleteJob(jobId: string): void {
    this.assertOpen();
    const id = validateJobId(jobId);
    const nowMs = this.clock.now();
    const r = this.jobs.get(id);
    if (r === undefined) {
      if (this.deleted.lookup(id, "", nowMs) === true) return;
      throw notFound(id);
    }
    this.stop(r, `job ${r.id} was deleted`);
    this.jobs.remove(r);
    this.storedBytes -= Buffer.byteLength(r.spec.payloadJson, "utf8");
    this.deleted.remember(r.id, "", true, nowMs);
  }

  /**
   * The job's next `count` regular fire times, earliest first, as the engine will fire them:
   * none while paused or ended, a one-shot's single fire until it has run, and for cron and
   * interval jobs the fires inside the window after now (owed retries are not fires).
   * @throws `JOB_NOT_FOUND`, `INVALID_ARGUMENT` (`count` outside 1..100)
   */
  upcomingFires(jobId: string, count: number | undefined): Date[] {
    const size = resolveFireCount(count);
    const r = this.find(jobId);
    if (r.status !== "pending" && r.status !== "running") return [];
    if (r.spec.schedule.type === "one_shot") {
      return r.oneShotFired ? [] : [new Date(r.fire?.atMs ?? r.spec.schedule.runAt.getTime())];
    }
    const first = r.fire?.atMs ?? nextRecurringFire(r, this.clock.now());
    return recurringFiresFrom(r.spec.schedule, r.anchorMs, fireWindow(r.spec), first, size).map((ms) => new Date(ms));
  }

  /**
   * One page of jobs matching `filter`, oldest first: `pageSize` jobs, or fewer where `budget`
   * says the page is full (at least one while any remain; `nextPageToken` is set whenever the
   * page stopped short of the end).
   * @throws `INVALID_ARGUMENT` for a bad page size or token.
   */
  listJobs(filter: JobFilter, pageSize: number | undefined, pageToken: string, budget?: PageBudget<StoredJob>): Page<StoredJob> {
    const size = resolvePageSize(pageSize);
    const scope = `jobs:${filter.status ?? ""}:${filter.namePrefix ?? ""}${filter.key === undefined ? "" : `:${filter.key}`}`;
    const room = new PageRoom(budget, scope);
    const stored: StoredJob[] = [];
    const { lastSeq, more } = this.jobs.scan(filter, decodePageToken(pageToken, scope), size, (r, taken) => {
      const job = toStoredJob(r);
      if (!room.admits(job, taken)) return false;
      stored.push(job);
      return true;
    });
    return { items: stored, nextPageToken: more ? encodePageToken(scope, lastSeq) : "" };
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
    for (const r of this.jobs.all()) for (const running of r.running) running.controller.abort(new Error("scheduler engine closed"));
  }

  /** Stores a validated spec as a new job and schedules its first fire. */
  private register(valid: ValidJobSpec, nowMs: number): JobRecord {
    const payloadBytes = this.admit(valid, undefined);
    if (valid.key !== undefined) {
      const holder = this.jobs.holderOf(valid.key);
      if (holder !== undefined) {
        throw new SchedulerError(`a job with key ${JSON.stringify(valid.key)} already exists: ${holder}`, "JOB_ALREADY_EXISTS", {
          field: "key",
          existingJobId: holder,
        });
      }
    }
    const record: JobRecord = {
      id: newId(),
      seq: this.jobs.nextSeq(),
      spec: valid,
      createdAtMs: nowMs,
      anchorMs: valid.startAt?.getTime() ?? nowMs,
      history: new ExecutionHistory(this.historyLimit),
      status: "pending",
      fire: undefined,
      oneShotFired: false,
      retries: [],
      buffered: false,
      running: [],
      lastFailed: false,
    };
    this.jobs.add(record);
    this.storedBytes += payloadBytes;
    this.scheduleFire(record, nowMs);
    return record;
  }

  /** Applies checked changes to a job: validated as a whole, then rescheduled. */
  private update(r: JobRecord, changes: SpecChanges, nowMs: number): StoredJob {
    ruleFor(r.id, r.status, "update");
    const rescheduled = changes.schedule !== undefined || changes.startAt !== undefined;
    // A schedule kept as it is may be a one-shot whose time has passed, or a window that has
    // ended: only a new schedule must lie ahead, and only a new window must hold a fire.
    const spec = validateJobSpec(applySpecChanges(r.spec, changes), nowMs, {
      pastRunAtAllowed: changes.schedule === undefined,
      noFireAllowed: !rescheduled && changes.endAt === undefined,
    });
    const bytes = this.admit(spec, r.spec);
    this.storedBytes += bytes - Buffer.byteLength(r.spec.payloadJson, "utf8");
    r.spec = spec;
    if (rescheduled) {
      r.anchorMs = spec.startAt?.getTime() ?? nowMs;
      if (changes.schedule !== undefined) r.oneShotFired = false;
    }
    if (r.status !== "paused") {
      this.timers.cancel(r.fire);
      r.fire = undefined;
      if (r.status === "running" && r.spec.overlap === "skip") return toStoredJob(r);
      if (r.retries.length === 0 || r.spec.overlap !== "skip") this.scheduleFire(r, nowMs);
      this.settle(r);
    }
    return toStoredJob(r);
  }

  /**
   * Checks a valid spec against `maxJobs` (a new job) and `maxStoredBytes` (its payload in place
   * of the payload of `replacing`, the spec an update replaces).
   * @returns its payload size in bytes.
   * @throws `RESOURCE_EXHAUSTED` naming the limit and its value.
   */
  private admit(spec: JobSpec, replacing: JobSpec | undefined): number {
    const replacingBytes = replacing === undefined ? 0 : Buffer.byteLength(replacing.payloadJson, "utf8");
    if (replacing === undefined && this.jobs.size >= this.maxJobs) {
      throw new SchedulerError(
        `job limit reached: this scheduler already holds ${this.jobs.size} jobs (maxJobs = ${this.maxJobs}); no more can be created`,
        "RESOURCE_EXHAUSTED",
      );
    }
    const bytes = Buffer.byteLength(spec.payloadJson, "utf8");
    if (this.storedBytes - replacingBytes + bytes > this.maxStoredBytes) {
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
    if (record === undefined) throw notFound(jobId);
    return record;
  }

  private operate(jobId: string, operation: JobOperation): StoredJob {
    this.assertOpen();
    const r = this.find(jobId);
    const rule = ruleFor(r.id, r.status, operation);
    if (rule === "noop") return toStoredJob(r);
    if (operation === "cancel") {
      this.stop(r, `job ${r.id} was cancelled`);
    } else if (operation === "pause") {
      this.disarm(r);
      r.status = "paused";
    } else {
      this.resume(r);
    }
    return toStoredJob(r);
  }

  /** Cancels the job's timers (owed retries keep their due times) and drops a buffered fire. */
  private disarm(r: JobRecord): void {
    this.timers.cancel(r.fire);
    r.fire = undefined;
    for (const retry of r.retries) {
      this.timers.cancel(retry.timer);
      retry.timer = undefined;
    }
    r.buffered = false;
  }

  /** Ends a job for good (cancel, delete): no timers, no retries, running executions aborted. */
  private stop(r: JobRecord, reason: string): void {
    this.disarm(r);
    r.retries = [];
    r.status = "cancelled";
    for (const running of r.running) running.controller.abort(new Error(reason));
  }

  private resume(r: JobRecord): void {
    const nowMs = this.clock.now();
    r.status = "pending";
    // An owed retry keeps its backoff; it runs at once only if its time has passed.
    for (const retry of r.retries) this.armRetry(r, retry, Math.max(retry.atMs, nowMs));
    const busy = r.running.length > 0 || r.retries.length > 0;
    if (!busy || r.spec.overlap !== "skip") this.scheduleFire(r, nowMs);
    this.settle(r);
  }

  /**
   * Sets the job's regular fire: a one-shot's single fire (at once if its time has passed: it is
   * never skipped), or the first cron or interval fire after `afterMs` in the window.
   */
  private scheduleFire(r: JobRecord, afterMs: number): void {
    const s = r.spec.schedule;
    if (s.type === "one_shot") {
      if (!r.oneShotFired) this.setFire(r, Math.max(s.runAt.getTime(), afterMs));
      return;
    }
    const at = nextRecurringFire(r, afterMs);
    if (at !== undefined) this.setFire(r, at);
  }

  /**
   * The status that follows from what the job has going: running executions, a fire or retry
   * ahead, else its end (a one-shot completes or fails with its last run; a cron or interval job
   * whose window has no fire left completes). Paused and cancelled jobs keep their status, but a
   * paused one-shot whose run is over still reaches its end state.
   */
  private settle(r: JobRecord): void {
    if (r.status === "cancelled" || r.status === "completed" || r.status === "failed") return;
    const idle = r.running.length === 0 && r.retries.length === 0;
    const oneShot = r.spec.schedule.type === "one_shot";
    if (r.status === "paused") {
      if (oneShot && r.oneShotFired && idle) r.status = r.lastFailed ? "failed" : "completed";
      return;
    }
    if (r.running.length > 0) r.status = "running";
    else if (oneShot) r.status = r.oneShotFired && idle ? (r.lastFailed ? "failed" : "completed") : "pending";
    // A closed engine sets no timers: its jobs stay where they were instead of ending.
    else if (r.fire !== undefined || !idle || r.buffered || this.closed) r.status = "pending";
    else r.status = "completed";
  }

  private setFire(r: JobRecord, atMs: number): void {
    if (this.closed) return;
    r.fire = this.timers.push(atMs, () => this.fire(r));
    this.arm();
  }

  private armRetry(r: JobRecord, retry: JobRecord["retries"][number], atMs: number): void {
    if (this.closed) return;
    retry.timer = this.timers.push(atMs, () => {
      r.retries.splice(r.retries.indexOf(retry), 1);
      this.start(r, retry.attempt, "retry");
    });
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

  /** A regular fire is due: run it, keep it (`buffer_one`) or skip it, per the overlap policy. */
  private fire(r: JobRecord): void {
    r.fire = undefined;
    const nowMs = this.clock.now();
    if (r.spec.schedule.type === "one_shot") r.oneShotFired = true;
    else if (r.spec.overlap !== "skip") this.scheduleFire(r, nowMs); // the schedule goes on while this runs
    const busy = r.running.length > 0 || r.retries.length > 0;
    if (busy && r.spec.overlap === "buffer_one") {
      r.buffered = true;
      return;
    }
    if (busy && r.spec.overlap === "skip") return;
    this.start(r, 1, "schedule");
  }

  /** Starts an execution; the job is `running` unless it is paused (a manual run of a paused job). */
  private start(r: JobRecord, attempt: number, trigger: ExecutionTrigger): ExecutionRecord {
    const nowMs = this.clock.now();
    if (r.status !== "paused") r.status = "running";
    const record: ExecutionRecord = {
      id: newId(),
      jobId: r.id,
      startedAtMs: nowMs,
      attempt,
      trigger,
      finishedAtMs: undefined,
      result: "running",
      error: undefined,
    };
    r.history.add(record);
    const controller = new LazyAbortController();
    const running: RunningExecution = { record, controller, timeout: undefined };
    r.running.push(running);
    let outcome: unknown;
    try {
      outcome = this.executor(executionContext(toJob(toStoredJob(r)), record.id, attempt, controller, trigger));
    } catch (err) {
      this.finish(r, running, "failed", errorText(err));
      return record;
    }
    if (isThenable(outcome)) {
      // Only an execution still running after the executor returned can time out: the timeout
      // entry (due timeoutSecs after the start) is pushed now, not for every execution.
      const { timeoutSecs } = r.spec;
      if (!this.closed) {
        running.timeout = this.timers.push(nowMs + timeoutSecs * 1000, () => {
          const reason = `timed out after ${timeoutSecs} s (timeoutSecs)`;
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
    return record;
  }

  private finish(r: JobRecord, running: RunningExecution, result: ExecutionResult, error: string | undefined): void {
    const { record } = running;
    if (record.result !== "running") return; // already finished by its timeout
    const nowMs = this.clock.now();
    record.result = result;
    record.finishedAtMs = nowMs;
    record.error = error;
    this.timers.cancel(running.timeout);
    r.running.splice(r.running.indexOf(running), 1);
    this.afterExecution(r, record.attempt, result !== "succeeded", nowMs);
    if (this.listeners.size === 0) return;
    this.emit({
      jobId: r.id,
      executionId: record.id,
      completedAt: new Date(nowMs),
      result,
      jobName: r.spec.name,
      attempt: record.attempt,
      ...(error === undefined ? {} : { error }),
      trigger: record.trigger,
    });
  }

  private afterExecution(r: JobRecord, attempt: number, failed: boolean, nowMs: number): void {
    if (r.status === "cancelled") return;
    r.lastFailed = failed;
    if (failed && attempt <= r.spec.maxRetries) {
      const retry = { atMs: nowMs + this.backoffMs(attempt), attempt: attempt + 1, timer: undefined };
      r.retries.push(retry);
      // Nothing new fires while paused: the retry is armed when the job is resumed.
      if (r.status !== "paused") this.armRetry(r, retry, retry.atMs);
    }
    const idle = r.running.length === 0 && r.retries.length === 0;
    if (r.status !== "paused" && idle) {
      if (r.buffered) {
        r.buffered = false;
        this.start(r, 1, "schedule");
        return;
      }
      if (r.spec.overlap === "skip" && r.fire === undefined) this.scheduleFire(r, nowMs);
    }
    this.settle(r);
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

function notFound(jobId: string): SchedulerError {
  return new SchedulerError(`job ${jobId} not found`, "JOB_NOT_FOUND", { field: "jobId" });
}

const MAX_ERROR_LENGTH = 4_096;


function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
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
