import type { Schedule } from "../types/schedule.js";
import { DEFAULT_TIME_ZONE, nextCronFire } from "./cron-expression.js";

/** The active window of a cron or interval job, in epoch ms; either end may be open. */
export interface FireWindow {
  startAtMs: number | undefined;
  endAtMs: number | undefined;
}

/**
 * The next regular fire of a cron or interval schedule strictly after `afterMs`, inside the
 * window: the next cron match at or after `startAt`, or the next interval slot counted from
 * `anchorMs` (so missed slots are skipped, never queued). `undefined` for a one-shot, which has
 * no regular fires, when the expression never fires again, and when the next fire would pass
 * `endAt`.
 */
export function nextRecurringFireMs(schedule: Schedule, anchorMs: number, window: FireWindow, afterMs: number): number | undefined {
  // One millisecond before the start, so that a fire exactly at startAt counts.
  const after = window.startAtMs !== undefined && afterMs < window.startAtMs ? window.startAtMs - 1 : afterMs;
  let at: number | undefined;
  if (schedule.type === "cron") {
    at = nextCronFire(schedule.expression, schedule.timezone ?? DEFAULT_TIME_ZONE, after);
  } else if (schedule.type === "interval") {
    const slots = Math.floor(Math.max(after - anchorMs, 0) / schedule.intervalMs) + 1;
    at = anchorMs + slots * schedule.intervalMs;
  }
  return at !== undefined && window.endAtMs !== undefined && at > window.endAtMs ? undefined : at;
}

/** Up to `count` regular fires, earliest first, the first being `firstMs` (none if undefined). */
export function recurringFiresFrom(schedule: Schedule, anchorMs: number, window: FireWindow, firstMs: number | undefined, count: number): number[] {
  const fires: number[] = [];
  for (let at = firstMs; at !== undefined && fires.length < count; at = nextRecurringFireMs(schedule, anchorMs, window, at)) {
    fires.push(at);
  }
  return fires;
}
