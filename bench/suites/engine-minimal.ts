/**
 * Baselines of the engine-scale suite: the least a scheduler must hold and do, written without
 * the engine's records, history, events or validation, so the SDK's overhead over it shows.
 */
import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import type { Alarm, Clock } from "../../src/engine/clock.js";
import { TimerQueue } from "../../src/engine/timer-queue.js";
import type { JobRequest } from "../../src/types/job.js";
import type { Schedule } from "../../src/types/schedule.js";

/** A job as the minimal store keeps it: the request's fields, an id and the next fire. */
interface MinimalJob {
  id: string;
  name: string;
  schedule: Schedule;
  payloadJson: string;
  maxRetries: number;
  timeoutSecs: number;
  createdAtMs: number;
  nextRunAtMs: number;
}

interface HeapItem {
  atMs: number;
  id: string;
}

/** A binary min-heap of (next fire, job id): the one index a scheduler needs to find due work. */
class FireHeap {
  private readonly items: HeapItem[] = [];

  push(item: HeapItem): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent].atMs <= item.atMs) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = item;
  }

  get size(): number {
    return this.items.length;
  }
}

interface ParsedCron {
  cron: Cron;
  lastAfterMs: number;
  lastNext: number;
}

const parsed = new Map<string, ParsedCron>();

/**
 * A random UUID held as one flat 36-character string. Node 20's `randomUUID()` returns a
 * rope of about twenty concatenated pieces (about 480 B on the heap, against about 60 B flat);
 * reading a character makes V8 flatten it in place.
 */
function flatUuid(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}

/**
 * The next fire of a schedule after `nowMs`. croner parses each (expression, zone) once and
 * each parsed expression remembers its last answer, as the SDK's does: with a clock standing
 * still, every job sharing an expression gets the same first fire.
 */
function firstFire(schedule: Schedule, nowMs: number): number {
  if (schedule.type === "interval") return nowMs + schedule.intervalMs;
  if (schedule.type === "one_shot") return schedule.runAt.getTime();
  const zone = schedule.timezone ?? "UTC";
  const key = `${zone}\u0000${schedule.expression}`;
  let entry = parsed.get(key);
  if (entry === undefined) {
    entry = { cron: new Cron(schedule.expression, { timezone: zone, paused: true }), lastAfterMs: NaN, lastNext: NaN };
    parsed.set(key, entry);
  }
  if (entry.lastAfterMs !== nowMs) {
    const next = entry.cron.nextRun(new Date(nowMs));
    if (next === null) throw new Error(`${schedule.expression} never fires`);
    entry.lastNext = next.getTime();
    entry.lastAfterMs = nowMs;
  }
  return entry.lastNext;
}

/**
 * A plain `Map` of jobs plus a binary heap of next-fire times. It trusts its input (no
 * validation, no copies), encodes the payload as JSON text as the engine does, and computes
 * the first fire.
 */
export class MinimalJobStore {
  private readonly jobs = new Map<string, MinimalJob>();
  private readonly fires = new FireHeap();

  add(req: JobRequest, nowMs: number): string {
    const job: MinimalJob = {
      id: flatUuid(),
      name: req.name,
      schedule: req.schedule,
      payloadJson: JSON.stringify(req.payload),
      maxRetries: req.maxRetries ?? 0,
      timeoutSecs: req.timeoutSecs ?? 60,
      createdAtMs: nowMs,
      nextRunAtMs: firstFire(req.schedule, nowMs),
    };
    this.jobs.set(job.id, job);
    this.fires.push({ atMs: job.nextRunAtMs, id: job.id });
    return job.id;
  }

  get size(): number {
    return Math.min(this.jobs.size, this.fires.size);
  }
}

/**
 * The engine's dispatch skeleton and nothing else: the engine's own {@link TimerQueue} and one
 * clock alarm at its head; each due entry calls `execute(jobId)` and pushes the job's next slot.
 * No execution records, ids, history, timeouts, job snapshots or events.
 */
export class MinimalIntervalScheduler {
  private readonly timers = new TimerQueue();
  private alarm: Alarm | undefined;
  private alarmAtMs: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly execute: (jobId: string) => void,
  ) {}

  /** Adds a job that fires every `intervalMs`, the first fire one interval from now. */
  add(jobId: string, intervalMs: number): void {
    this.schedule(jobId, intervalMs, this.clock.now() + intervalMs);
  }

  private schedule(jobId: string, intervalMs: number, atMs: number): void {
    this.timers.push(atMs, () => {
      this.execute(jobId);
      this.schedule(jobId, intervalMs, atMs + intervalMs);
    });
    this.arm();
  }

  private arm(): void {
    const head = this.timers.peek();
    if (head === undefined || (this.alarmAtMs !== undefined && this.alarmAtMs <= head.atMs)) return;
    this.alarm?.cancel();
    this.alarmAtMs = head.atMs;
    this.alarm = this.clock.setAlarm(head.atMs, () => this.onAlarm());
  }

  private onAlarm(): void {
    this.alarm = undefined;
    this.alarmAtMs = undefined;
    const nowMs = this.clock.now();
    for (let due = this.timers.popDue(nowMs); due !== undefined; due = this.timers.popDue(nowMs)) due.run();
    this.arm();
  }
}
