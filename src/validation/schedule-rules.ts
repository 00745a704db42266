import { DEFAULT_TIME_ZONE, isKnownTimeZone, nextCronFire } from "../schedule/cron-expression.js";
import type { Schedule } from "../types/schedule.js";
import { describeValue, invalid } from "./invalid.js";
import { LIMITS } from "./limits.js";

/**
 * Checks a schedule against the rules, at the instant `nowMs` (the caller's clock). With
 * `pastRunAtAllowed` a one-shot `runAt` may lie in the past (`ensureJob` of a job that ran).
 * @returns the schedule, copied so later changes by the caller cannot reach the job.
 * @throws `INVALID_SCHEDULE` naming the field and the value.
 */
export function validateSchedule(schedule: unknown, nowMs: number, pastRunAtAllowed = false): Schedule {
  if (typeof schedule !== "object" || schedule === null) {
    throw invalid("INVALID_SCHEDULE", "schedule", schedule, "must be an object with a type");
  }
  const s = schedule as Record<string, unknown>;
  switch (s.type) {
    case "cron":
      return validateCron(s.expression, s.timezone, nowMs);
    case "one_shot":
      return validateOneShot(s.runAt, pastRunAtAllowed ? -Infinity : nowMs);
    case "interval":
      return validateInterval(s.intervalMs);
    default:
      throw invalid("INVALID_SCHEDULE", "schedule.type", s.type, 'must be "cron", "one_shot" or "interval"');
  }
}

function validateCron(expression: unknown, timezone: unknown, nowMs: number): Schedule {
  if (typeof expression !== "string" || expression.trim() === "") {
    throw invalid("INVALID_SCHEDULE", "schedule.expression", expression, "must be a non-empty cron expression");
  }
  if (expression.length > LIMITS.cronExpressionMaxLength) {
    throw invalid(
      "INVALID_SCHEDULE",
      "schedule.expression",
      expression,
      `must be at most ${LIMITS.cronExpressionMaxLength} characters`,
    );
  }
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith("@") && (fields.length < 5 || fields.length > 6)) {
    throw invalid(
      "INVALID_SCHEDULE",
      "schedule.expression",
      expression,
      "must have 5 fields (minute hour day month weekday) or 6 with leading seconds",
    );
  }
  if (timezone !== undefined && (typeof timezone !== "string" || !isKnownTimeZone(timezone))) {
    throw invalid("INVALID_SCHEDULE", "schedule.timezone", timezone, "must be an IANA time zone such as \"Asia/Tokyo\"");
  }
  let next: number | undefined;
  try {
    next = nextCronFire(expression, timezone ?? DEFAULT_TIME_ZONE, nowMs);
  } catch (err) {
    throw invalid(
      "INVALID_SCHEDULE",
      "schedule.expression",
      expression,
      `is not a valid cron expression (${(err as Error).message})`,
    );
  }
  if (next === undefined) {
    throw invalid("INVALID_SCHEDULE", "schedule.expression", expression, "never fires");
  }
  return timezone === undefined ? { type: "cron", expression } : { type: "cron", expression, timezone };
}

function validateOneShot(runAt: unknown, nowMs: number): Schedule {
  if (!(runAt instanceof Date) || Number.isNaN(runAt.getTime())) {
    throw invalid("INVALID_SCHEDULE", "schedule.runAt", runAt, "must be a valid Date");
  }
  if (runAt.getTime() < nowMs - LIMITS.oneShotPastToleranceMs) {
    throw invalid(
      "INVALID_SCHEDULE",
      "schedule.runAt",
      runAt,
      `is in the past (now is ${describeValue(new Date(nowMs))})`,
    );
  }
  return { type: "one_shot", runAt: new Date(runAt.getTime()) };
}

function validateInterval(intervalMs: unknown): Schedule {
  if (
    typeof intervalMs !== "number" ||
    !Number.isSafeInteger(intervalMs) ||
    intervalMs <= 0 ||
    intervalMs > LIMITS.intervalMaxMs
  ) {
    throw invalid(
      "INVALID_SCHEDULE",
      "schedule.intervalMs",
      intervalMs,
      `must be a whole number of milliseconds from 1 to ${LIMITS.intervalMaxMs}`,
    );
  }
  return { type: "interval", intervalMs };
}
