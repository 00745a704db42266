import { JOB_STATUSES, type JobFilter, type JobRequest } from "../types/job.js";
import type { JobSpec } from "../types/job-spec.js";
import { invalid } from "./invalid.js";
import { DEFAULTS, LIMITS } from "./limits.js";
import { checkPayloadJson, encodePayload } from "./payload-rules.js";
import { validateSchedule } from "./schedule-rules.js";

/**
 * Validates a caller's request and normalizes it into a {@link JobSpec} (defaults resolved,
 * payload encoded). Runs before any network I/O.
 * @throws `INVALID_SCHEDULE` or `INVALID_ARGUMENT` naming the field and the value.
 */
export function toJobSpec(req: JobRequest, nowMs: number): JobSpec {
  if (typeof req !== "object" || req === null) {
    throw invalid("INVALID_ARGUMENT", "request", req, "must be a JobRequest object");
  }
  return validateJobSpec(
    {
      name: req.name,
      schedule: req.schedule,
      payloadJson: encodePayload(req.payload),
      maxRetries: req.maxRetries ?? DEFAULTS.maxRetries,
      timeoutSecs: req.timeoutSecs ?? DEFAULTS.timeoutSecs,
      ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
    },
    nowMs,
  );
}

/**
 * Validates a normalized spec: the server-side half of the rules, also run by the clients.
 * @throws `INVALID_SCHEDULE` or `INVALID_ARGUMENT`
 */
export function validateJobSpec(spec: JobSpec, nowMs: number): JobSpec {
  const { name } = spec;
  if (typeof name !== "string" || name.trim() === "") {
    throw invalid("INVALID_ARGUMENT", "name", name, "must be a non-empty string");
  }
  if ([...name].length > LIMITS.nameMaxLength) {
    throw invalid("INVALID_ARGUMENT", "name", name, `must be at most ${LIMITS.nameMaxLength} characters`);
  }
  checkInteger("maxRetries", spec.maxRetries, 0, LIMITS.maxRetries);
  const { idempotencyKey } = spec;
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== "string" || !/^[\x21-\x7e]{1,128}$/.test(idempotencyKey))) {
    throw invalid("INVALID_ARGUMENT", "idempotencyKey", idempotencyKey, "must be 1 to 128 printable ASCII characters");
  }
  checkInteger("timeoutSecs", spec.timeoutSecs, 1, LIMITS.timeoutSecsMax);
  return {
    name,
    schedule: validateSchedule(spec.schedule, nowMs),
    payloadJson: checkPayloadJson(spec.payloadJson),
    maxRetries: spec.maxRetries,
    timeoutSecs: spec.timeoutSecs,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
}

/** @throws `INVALID_ARGUMENT` unless `jobId` is a non-empty string of sane length. */
export function validateJobId(jobId: unknown): string {
  if (typeof jobId !== "string" || jobId === "" || jobId.length > LIMITS.jobIdMaxLength) {
    throw invalid("INVALID_ARGUMENT", "jobId", jobId, `must be a non-empty string of at most ${LIMITS.jobIdMaxLength} characters`);
  }
  return jobId;
}

/** @throws `INVALID_ARGUMENT` for an unknown status or a non-string prefix. */
export function validateFilter(filter: JobFilter | undefined): JobFilter {
  if (filter === undefined) return {};
  if (typeof filter !== "object" || filter === null) {
    throw invalid("INVALID_ARGUMENT", "filter", filter, "must be a JobFilter object");
  }
  const { status, namePrefix } = filter;
  if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
    throw invalid("INVALID_ARGUMENT", "filter.status", status, `must be one of ${JOB_STATUSES.join(", ")}`);
  }
  if (namePrefix !== undefined && typeof namePrefix !== "string") {
    throw invalid("INVALID_ARGUMENT", "filter.namePrefix", namePrefix, "must be a string");
  }
  return {
    ...(status === undefined ? {} : { status }),
    ...(namePrefix === undefined || namePrefix === "" ? {} : { namePrefix }),
  };
}

/**
 * Resolves a page size: `undefined` (and 0, the wire's "unset") mean the default.
 * @throws `INVALID_ARGUMENT` outside 1..1000.
 */
export function resolvePageSize(pageSize: number | undefined): number {
  if (pageSize === undefined || pageSize === 0) return DEFAULTS.pageSize;
  checkInteger("pageSize", pageSize, 1, LIMITS.pageSizeMax);
  return pageSize;
}

function checkInteger(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid("INVALID_ARGUMENT", field, value, `must be a whole number from ${min} to ${max}`);
  }
}
