import { nextRecurringFireMs } from "../schedule/fire-times.js";
import { OVERLAP_POLICIES, type OverlapPolicy } from "../types/job.js";
import type { Schedule } from "../types/schedule.js";
import { describeValue, invalid } from "./invalid.js";
import { LIMITS } from "./limits.js";

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * A job key, idempotency key or trigger request id: 1 to 128 printable ASCII characters.
 * @throws `INVALID_ARGUMENT` naming `field` and the value.
 */
export function checkKey(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length > LIMITS.keyMaxLength || !PRINTABLE_ASCII.test(value)) {
    throw invalid("INVALID_ARGUMENT", field, value, `must be 1 to ${LIMITS.keyMaxLength} printable ASCII characters`);
  }
  return value;
}

/** @throws `INVALID_ARGUMENT` naming `field` unless `value` is an {@link OverlapPolicy}. */
export function validateOverlap(field: string, value: unknown): OverlapPolicy {
  if (!(OVERLAP_POLICIES as readonly unknown[]).includes(value)) {
    throw invalid("INVALID_ARGUMENT", field, value, `must be one of ${OVERLAP_POLICIES.join(", ")}`);
  }
  return value as OverlapPolicy;
}

/**
 * Checks the active window of a job: valid `Date`s, only on cron and interval schedules, `endAt`
 * after `startAt`, and (unless `pastAllowed`, for `ensureJob`'s comparison) at least one fire
 * left in it after `nowMs`, an interval counted from `startAt` or from now.
 * @returns copies of the window's ends.
 * @throws `INVALID_SCHEDULE` naming `startAt` or `endAt` and the value.
 */
export function validateWindow(schedule: Schedule, startAt: unknown, endAt: unknown, nowMs: number, pastAllowed = false): { startAt?: Date; endAt?: Date } {
  const start = windowEnd("startAt", startAt, schedule);
  const end = windowEnd("endAt", endAt, schedule);
  if (start !== undefined && end !== undefined && end.getTime() <= start.getTime()) {
    throw invalid("INVALID_SCHEDULE", "endAt", end, `must be after startAt (${describeValue(start)})`);
  }
  if (end !== undefined && !pastAllowed) {
    const window = { startAtMs: start?.getTime(), endAtMs: end.getTime() };
    if (nextRecurringFireMs(schedule, start?.getTime() ?? nowMs, window, nowMs) === undefined) {
      throw invalid("INVALID_SCHEDULE", "endAt", end, "leaves no fire of the schedule in the window");
    }
  }
  return { ...(start === undefined ? {} : { startAt: start }), ...(end === undefined ? {} : { endAt: end }) };
}

function windowEnd(field: "startAt" | "endAt", value: unknown, schedule: Schedule): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid("INVALID_SCHEDULE", field, value, "must be a valid Date");
  }
  if (schedule.type === "one_shot") {
    throw invalid("INVALID_SCHEDULE", field, value, "applies to cron and interval schedules only (a one-shot fires once, at runAt)");
  }
  return new Date(value.getTime());
}
