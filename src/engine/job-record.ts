import { type FireWindow, nextRecurringFireMs } from "../schedule/fire-times.js";
import type { JobStatus } from "../types/job.js";
import type { JobSpec, StoredJob, ValidJobSpec } from "../types/job-spec.js";
import type { Schedule } from "../types/schedule.js";
import type { ExecutionHistory, ExecutionRecord } from "./execution-history.js";
import type { LazyAbortController } from "./execution-context.js";
import type { TimerEntry } from "./timer-queue.js";

/** An execution in progress. */
export interface RunningExecution {
  readonly record: ExecutionRecord;
  readonly controller: LazyAbortController;
  /** The timeout, pushed once the executor has returned a promise (undefined until then). */
  timeout: TimerEntry | undefined;
}

/** A retry owed after a failed or timed-out attempt. */
export interface OwedRetry {
  /** When it is due (kept across pause/resume, so pausing cannot skip the backoff). */
  readonly atMs: number;
  /** Attempt number of the retry. */
  readonly attempt: number;
  /** Its timer; undefined while the job is paused. */
  timer: TimerEntry | undefined;
}

/** A job as the engine holds it. */
export interface JobRecord {
  readonly id: string;
  /** Creation order, the key of job listings. */
  readonly seq: number;
  spec: ValidJobSpec;
  readonly createdAtMs: number;
  /** What interval slots count from: `startAt`, else the creation or the last schedule update. */
  anchorMs: number;
  readonly history: ExecutionHistory;
  status: JobStatus;
  /** The next regular fire (or the one-shot's fire); undefined while none is set. */
  fire: TimerEntry | undefined;
  /** A one-shot whose scheduled fire has run (its job ends with its run and retries). */
  oneShotFired: boolean;
  /** Owed retries, each with its timer. */
  retries: OwedRetry[];
  /** A fire kept by the `buffer_one` overlap policy. */
  buffered: boolean;
  running: RunningExecution[];
  /** Whether the last finished execution failed (a one-shot's end state). */
  lastFailed: boolean;
}

/** The job's window in epoch ms. */
export function fireWindow(spec: JobSpec): FireWindow {
  return { startAtMs: spec.startAt?.getTime(), endAtMs: spec.endAt?.getTime() };
}

/** The next regular fire strictly after `afterMs` (see `nextRecurringFireMs`). */
export function nextRecurringFire(r: JobRecord, afterMs: number): number | undefined {
  return nextRecurringFireMs(r.spec.schedule, r.anchorMs, fireWindow(r.spec), afterMs);
}

/** When the job runs next: its fire or its earliest owed retry; none while paused or ended. */
export function nextRunAtMs(r: JobRecord): number | undefined {
  if (r.status !== "pending" && r.status !== "running") return undefined;
  let next = r.fire?.atMs;
  for (const retry of r.retries) {
    // An armed retry runs when its timer says (at once when it fell due while paused).
    const at = retry.timer?.atMs ?? retry.atMs;
    if (next === undefined || at < next) next = at;
  }
  return next;
}

/** A copy of a job record that shares nothing mutable with it. */
export function toStoredJob(r: JobRecord): StoredJob {
  const { spec } = r;
  const next = nextRunAtMs(r);
  return {
    id: r.id,
    name: spec.name,
    schedule: copySchedule(spec.schedule),
    status: r.status,
    payloadJson: spec.payloadJson,
    maxRetries: spec.maxRetries,
    timeoutSecs: spec.timeoutSecs,
    createdAt: new Date(r.createdAtMs),
    overlap: spec.overlap,
    ...(next === undefined ? {} : { nextRunAt: new Date(next) }),
    ...(spec.key === undefined ? {} : { key: spec.key }),
    ...(spec.startAt === undefined ? {} : { startAt: new Date(spec.startAt.getTime()) }),
    ...(spec.endAt === undefined ? {} : { endAt: new Date(spec.endAt.getTime()) }),
  };
}

function copySchedule(s: Schedule): Schedule {
  return s.type === "one_shot" ? { type: "one_shot", runAt: new Date(s.runAt.getTime()) } : { ...s };
}
