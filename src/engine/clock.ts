import { SchedulerError } from "../errors/scheduler-error.js";
import { invalid } from "../validation/invalid.js";

/** A pending wake-up set with {@link Clock.setAlarm}. */
export interface Alarm {
  /** Cancels the wake-up; calling it again, or after it fired, does nothing. */
  cancel(): void;
}

/**
 * Where the engine reads time and sets wake-ups. Injected, so tests drive time instead of
 * sleeping on it.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Calls `callback` once, at or after `atMs`. A {@link ManualClock} awaits a returned promise
   * before it moves on.
   */
  setAlarm(atMs: number, callback: () => void | Promise<void>): Alarm;
}

/** Which clock a client or test server runs on: `"system"`, `"manual"`, or your own {@link Clock}. */
export type ClockOption = "system" | "manual" | Clock;

/** The longest delay a Node.js timer takes (2^31-1 ms, about 24.8 days): a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Real time: `Date.now()` and one `setTimeout` per alarm. Timers are `unref`'d, so a scheduled
 * job never keeps a process alive on its own, unless `keepAlive` is set (for scripts).
 */
export class SystemClock implements Clock {
  /** @param keepAlive - keep Node.js running while an alarm is set. @default false */
  constructor(private readonly keepAlive = false) {}

  now(): number {
    return Date.now();
  }

  setAlarm(atMs: number, callback: () => void | Promise<void>): Alarm {
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const delay = atMs - Date.now();
      timer = setTimeout(
        () => {
          if (Date.now() < atMs) arm();
          else void callback();
        },
        Math.min(Math.max(delay, 0), MAX_TIMER_MS),
      );
      if (!this.keepAlive) timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  }
}

interface PendingAlarm {
  atMs: number;
  order: number;
  callback: () => void | Promise<void>;
}

/**
 * Simulated time for deterministic tests: it stands still until {@link ManualClock.advanceTime}.
 *
 * `advanceTime(ms)` visits every alarm due within the window in time order, setting `now()` to
 * each alarm's instant before it runs, and yields to the event loop after each step so that
 * executors which resolve without real I/O settle at the simulated instant. Work due exactly at
 * the current instant runs on the next `advanceTime` call (`advanceTime(0)` runs it).
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private alarms: PendingAlarm[] = [];
  private order = 0;
  private advancing: Promise<void> = Promise.resolve();

  /** @param startMs the initial time. @default `Date.now()` */
  constructor(startMs: number = Date.now()) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setAlarm(atMs: number, callback: () => void | Promise<void>): Alarm {
    const alarm: PendingAlarm = { atMs, order: this.order++, callback };
    // Alarms stay sorted by (time, creation order); an engine keeps one at a time, so the
    // linear insert is cheap.
    let i = this.alarms.length;
    while (i > 0 && (this.alarms[i - 1]).atMs > atMs) i--;
    this.alarms.splice(i, 0, alarm);
    return {
      cancel: () => {
        const at = this.alarms.indexOf(alarm);
        if (at >= 0) this.alarms.splice(at, 1);
      },
    };
  }

  /**
   * Moves time forward by `ms`, running everything that falls due on the way. Calls are
   * queued: a second call starts when the first has finished.
   * @throws `INVALID_ARGUMENT` when `ms` is negative or not finite.
   */
  advanceTime(ms: number): Promise<void> {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      return Promise.reject(
        new SchedulerError(`advanceTime(ms): ms must be a finite number >= 0, got ${String(ms)}`, "INVALID_ARGUMENT", {
          field: "ms",
        }),
      );
    }
    const run = this.advancing.then(() => this.runUntil(this.nowMs + ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  private async runUntil(targetMs: number): Promise<void> {
    for (;;) {
      const next = this.alarms[0];
      if (next === undefined || next.atMs > targetMs) break;
      this.alarms.shift();
      this.nowMs = Math.max(this.nowMs, next.atMs);
      await next.callback();
    }
    this.nowMs = targetMs;
  }
}

/**
 * Resolves a {@link ClockOption}; `startTime` applies to `"manual"` only.
 * @throws `INVALID_ARGUMENT` for anything that is not `"system"`, `"manual"` or a {@link Clock},
 * and for a `startTime` that is not a valid `Date`.
 */
export function resolveClock(option: ClockOption = "system", startTime?: Date, keepAlive?: boolean): Clock {
  if (keepAlive !== undefined && typeof keepAlive !== "boolean") throw invalid("INVALID_ARGUMENT", "keepAlive", keepAlive, "must be a boolean");
  if (startTime !== undefined && !(startTime instanceof Date && Number.isFinite(startTime.getTime()))) {
    throw invalid("INVALID_ARGUMENT", "startTime", startTime, "must be a valid Date");
  }
  if (option === "system") return new SystemClock(keepAlive);
  if (option === "manual") return new ManualClock(startTime?.getTime());
  const candidate = option as Partial<Clock> | null;
  if (typeof candidate !== "object" || candidate === null || typeof candidate.now !== "function" || typeof candidate.setAlarm !== "function") {
    throw invalid("INVALID_ARGUMENT", "clock", option, 'must be "system", "manual" or a Clock');
  }
  return option;
}
