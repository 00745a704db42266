import { DEFAULT_TIME_ZONE, nextCronFire } from "../schedule/cron-expression.js";
import type { JobStatus } from "../types/job.js";
import type { JobSpec, StoredJob } from "../types/job-spec.js";
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

/** A job as the engine holds it. */
export interface JobRecord {
  readonly id: string;
  /** Creation order, the key of job listings. */
  readonly seq: number;
  readonly spec: JobSpec;
  readonly createdAtMs: number;
  readonly history: ExecutionHistory;
  status: JobStatus;
  nextRunAtMs: number | undefined;
  /** The pending fire or retry. */
  timer: TimerEntry | undefined;
  /** Attempt number of the next execution: 1 for a fresh fire, more while a retry is owed. */
  nextAttempt: number;
  /** When the owed retry is due (kept across pause/resume, so pausing cannot skip the backoff). */
  retryAtMs: number | undefined;
  running: RunningExecution | undefined;
}

/** A copy of a job record that shares nothing mutable with it. */
export function toStoredJob(r: JobRecord): StoredJob {
  return {
    id: r.id,
    name: r.spec.name,
    schedule: copySchedule(r.spec.schedule),
    status: r.status,
    payloadJson: r.spec.payloadJson,
    maxRetries: r.spec.maxRetries,
    timeoutSecs: r.spec.timeoutSecs,
    createdAt: new Date(r.createdAtMs),
    ...(r.nextRunAtMs === undefined ? {} : { nextRunAt: new Date(r.nextRunAtMs) }),
  };
}

function copySchedule(s: Schedule): Schedule {
  return s.type === "one_shot" ? { type: "one_shot", runAt: new Date(s.runAt.getTime()) } : { ...s };
}

/**
 * The next regular fire strictly after `afterMs`: the next cron match, or the next interval slot
 * anchored at creation (so missed slots are skipped, never queued). `undefined` for a one-shot,
 * which has no regular fires, and for a cron expression that never fires again.
 */
export function nextRecurringFire(r: JobRecord, afterMs: number): number | undefined {
  const s = r.spec.schedule;
  if (s.type === "cron") return nextCronFire(s.expression, s.timezone ?? DEFAULT_TIME_ZONE, afterMs);
  if (s.type === "interval") {
    const slots = Math.floor(Math.max(afterMs - r.createdAtMs, 0) / s.intervalMs) + 1;
    return r.createdAtMs + slots * s.intervalMs;
  }
  return undefined;
}
