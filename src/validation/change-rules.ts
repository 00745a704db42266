import type { JobChanges } from "../types/job-changes.js";
import type { SpecChanges } from "../types/job-spec.js";
import { invalid } from "./invalid.js";
import { validateOverlap } from "./job-policy-rules.js";
import { LIMITS } from "./limits.js";
import { checkPayloadJson, encodePayload } from "./payload-rules.js";
import { checkInteger, checkName } from "./request-rules.js";
import { validateSchedule } from "./schedule-rules.js";

/**
 * Validates the changes of an `updateJob` field by field with the rules of `createJob` (same
 * codes, same field names) and normalizes them (payload encoded as JSON text). The rules that
 * need the job too (the active window against its schedule) are the server's. Runs before any
 * network I/O.
 * @throws `INVALID_ARGUMENT` or `INVALID_SCHEDULE` naming the field and the value; `INVALID_ARGUMENT`
 *   naming `changes` when it is not an object or changes nothing.
 */
export function toSpecChanges(changes: JobChanges, nowMs: number): SpecChanges {
  if (typeof changes !== "object" || changes === null) {
    throw invalid("INVALID_ARGUMENT", "changes", changes, "must be a JobChanges object");
  }
  return validateSpecChanges(
    {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.schedule === undefined ? {} : { schedule: changes.schedule }),
      ...(changes.payload === undefined ? {} : { payloadJson: encodePayload(changes.payload) }),
      ...(changes.maxRetries === undefined ? {} : { maxRetries: changes.maxRetries }),
      ...(changes.timeoutSecs === undefined ? {} : { timeoutSecs: changes.timeoutSecs }),
      ...(changes.overlap === undefined ? {} : { overlap: changes.overlap }),
      ...(changes.startAt === undefined ? {} : { startAt: changes.startAt }),
      ...(changes.endAt === undefined ? {} : { endAt: changes.endAt }),
    },
    nowMs,
  );
}

/**
 * The server-side half of {@link toSpecChanges}: checks each field present.
 * @throws as {@link toSpecChanges}.
 */
export function validateSpecChanges(c: SpecChanges, nowMs: number): SpecChanges {
  if (Object.keys(c).length === 0) {
    throw invalid("INVALID_ARGUMENT", "changes", c, "must change at least one field");
  }
  if (c.name !== undefined) checkName(c.name);
  if (c.maxRetries !== undefined) checkInteger("maxRetries", c.maxRetries, 0, LIMITS.maxRetries);
  if (c.timeoutSecs !== undefined) checkInteger("timeoutSecs", c.timeoutSecs, 1, LIMITS.timeoutSecsMax);
  if (c.overlap !== undefined) validateOverlap("overlap", c.overlap);
  if (c.payloadJson !== undefined) checkPayloadJson(c.payloadJson);
  for (const field of ["startAt", "endAt"] as const) {
    const value = c[field];
    if (value !== undefined && value !== null && !(value instanceof Date && Number.isFinite(value.getTime()))) {
      throw invalid("INVALID_SCHEDULE", field, value, "must be a valid Date (or null to remove it)");
    }
  }
  return c.schedule === undefined ? c : { ...c, schedule: validateSchedule(c.schedule, nowMs) };
}
