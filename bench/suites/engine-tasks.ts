/**
 * The measurements of the engine-scale suite, each run in a fresh child process by
 * engine-worker.ts, so heap readings see one measurement and nothing else.
 */
import { ManualClock } from "../../src/engine/clock.js";
import { InMemorySchedulerClient } from "../../src/in-memory/in-memory-scheduler-client.js";
import type { JobRequest } from "../../src/types/job.js";
import type { Schedule } from "../../src/types/schedule.js";
import { MinimalIntervalScheduler, MinimalJobStore } from "./engine-minimal.js";

/** Which side a child measures: the SDK's in-memory client or the minimal baseline. */
export type Side = "sdk" | "minimal";

/** Create `jobs` jobs on a manual clock that never moves. */
export interface CreateTask {
  kind: "create";
  side: Side;
  jobs: number;
}

/**
 * Create `jobs` interval jobs, then advance a manual clock to each of `marksMs` in turn (times
 * since the last job was created, ascending), timing each step and reading the heap after it.
 */
export interface AdvanceTask {
  kind: "advance";
  side: Side;
  jobs: number;
  intervalMs: number;
  marksMs: number[];
}

export type Task = CreateTask | AdvanceTask;

export interface CreateResult {
  ms: number;
  bytesPerJob: number;
}

export interface AdvanceResult {
  /** Wall time of each step's `advanceTime` (garbage collection for the heap readings excluded). */
  stepMs: number[];
  /** Executions run in each step. */
  stepExecutions: number[];
  /** Heap growth over the heap before the jobs existed: after creating them, and after each step. */
  heapAfterCreate: number;
  heapAfterStep: number[];
  /** Executions each job still lists at the end (SDK only; the minimal scheduler keeps none). */
  retainedMin: number;
  retainedMax: number;
}

const START_MS = Date.parse("2025-06-15T00:00:00.000Z");
const CREATE_WARM_UP_JOBS = 2_000;

const CRON: readonly Schedule[] = [
  { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" },
  { type: "cron", expression: "*/15 * * * *" },
  { type: "cron", expression: "0 9 * * 1-5", timezone: "America/New_York" },
  { type: "cron", expression: "30 0 1 * *", timezone: "Europe/London" },
];

/**
 * Job `i` of the create measurement: a third each cron (4 expressions, 3 with a zone), interval
 * (1 to 60 minutes) and one-shot (within the next 28 hours), a small JSON payload.
 */
export function jobRequest(i: number, nowMs: number): JobRequest {
  const kind = i % 3;
  const schedule: Schedule =
    kind === 0
      ? CRON[Math.floor(i / 3) % CRON.length]
      : kind === 1
        ? { type: "interval", intervalMs: 60_000 * (1 + (i % 60)) }
        : { type: "one_shot", runAt: new Date(nowMs + 1_000 * (1 + (i % 100_000))) };
  return {
    name: `tenant-${i % 1_000}-job-${i}`,
    schedule,
    payload: { tenant_id: `TENANT-${String(i % 1_000).padStart(3, "0")}`, report_type: "daily", seq: i },
    maxRetries: 3,
    timeoutSecs: 300,
  };
}

/** What each task kind answers. */
export type ResultOf<T extends Task> = T extends CreateTask ? CreateResult : AdvanceResult;

function collectGarbage(): void {
  if (global.gc === undefined) throw new Error("run with node --expose-gc");
  global.gc();
  global.gc();
}

function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Fills a store with `jobs` jobs; returns something that keeps the store reachable. */
async function fill(side: Side, jobs: number): Promise<{ size: () => number }> {
  if (side === "minimal") {
    const store = new MinimalJobStore();
    for (let i = 0; i < jobs; i++) store.add(jobRequest(i, START_MS), START_MS);
    return { size: () => store.size };
  }
  const client = new InMemorySchedulerClient({ clock: new ManualClock(START_MS) });
  for (let i = 0; i < jobs; i++) await client.createJob(jobRequest(i, START_MS));
  return { size: () => client.getAll().length };
}

export async function runCreate(task: CreateTask): Promise<CreateResult> {
  const warmUp = await fill(task.side, Math.min(CREATE_WARM_UP_JOBS, task.jobs));
  if (warmUp.size() === 0) throw new Error("warm-up created nothing");
  const before = heapUsed();
  const start = performance.now();
  const store = await fill(task.side, task.jobs);
  const ms = performance.now() - start;
  const after = heapUsed();
  if (store.size() !== task.jobs) throw new Error(`expected ${task.jobs} jobs, found ${store.size()}`);
  return { ms, bytesPerJob: (after - before) / task.jobs };
}

/** One side of the advance measurement: jobs to add, a clock to move, executions counted. */
interface Dispatcher {
  add(i: number): Promise<void>;
  /** Executions each job lists (min, max). */
  retained(): Promise<{ min: number; max: number }>;
}

function sdkDispatcher(clock: ManualClock, intervalMs: number, onExecute: () => void): Dispatcher {
  const client = new InMemorySchedulerClient({ clock, executor: onExecute });
  const ids: string[] = [];
  return {
    async add(i) {
      const job = await client.createJob({ name: `interval-${i}`, schedule: { type: "interval", intervalMs }, payload: { seq: i } });
      ids.push(job.id);
    },
    async retained() {
      let min = Infinity;
      let max = 0;
      for (const id of ids) {
        const n = (await client.getExecutions(id, { pageSize: 1_000 })).length;
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
      return { min, max };
    },
  };
}

function minimalDispatcher(clock: ManualClock, intervalMs: number, onExecute: () => void): Dispatcher {
  const scheduler = new MinimalIntervalScheduler(clock, onExecute);
  return {
    async add(i) {
      scheduler.add(`interval-${i}`, intervalMs);
    },
    async retained() {
      return { min: 0, max: 0 };
    },
  };
}

/**
 * Creates the interval jobs spread evenly over one interval of simulated time (so fires are
 * spread too, one alarm per fire, as with jobs created at different times), then advances the
 * clock mark by mark.
 */
export async function runAdvance(task: AdvanceTask): Promise<AdvanceResult> {
  const clock = new ManualClock(START_MS);
  let executions = 0;
  const base = heapUsed();
  const make = task.side === "sdk" ? sdkDispatcher : minimalDispatcher;
  const dispatcher = make(clock, task.intervalMs, () => {
    executions++;
  });
  const spacingMs = Math.floor(task.intervalMs / task.jobs);
  for (let i = 0; i < task.jobs; i++) {
    if (i > 0) await clock.advanceTime(spacingMs);
    await dispatcher.add(i);
  }
  if (executions !== 0) throw new Error("a job fired while the jobs were being created");
  const heapAfterCreate = heapUsed() - base;
  const stepMs: number[] = [];
  const stepExecutions: number[] = [];
  const heapAfterStep: number[] = [];
  let reachedMs = 0;
  for (const markMs of task.marksMs) {
    const before = executions;
    const start = performance.now();
    await clock.advanceTime(markMs - reachedMs);
    stepMs.push(performance.now() - start);
    stepExecutions.push(executions - before);
    heapAfterStep.push(heapUsed() - base);
    reachedMs = markMs;
  }
  const { min, max } = await dispatcher.retained();
  return { stepMs, stepExecutions, heapAfterCreate, heapAfterStep, retainedMin: min, retainedMax: max };
}

