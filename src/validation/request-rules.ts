import { JOB_STATUSES, type JobFilter, type JobRequest } from "../types/job.js";
import type { JobSpec, ValidJobSpec } from "../types/job-spec.js";
import { invalid } from "./invalid.js";
import { DEFAULTS, LIMITS } from "./limits.js";
import { checkPayloadJson, encodePayload } from "./payload-rules.js";
import { validateSchedule } from "./schedule-rules.js";
import { checkKey, validateOverlap, validateWindow } from "./job-policy-rules.js";

/** How strictly {@link validateJobSpec} checks what depends on the time. */
export interface SpecCheckOptions {
  /**
   * Accept a one-shot `runAt` in the past: `ensureJob` compares a request with the job that
   * already has its key before deciding whether the schedule is new.
   * @default false
   */
  pastRunAtAllowed?: boolean;
  /**
   * Accept an active window with no fire left after now (`ensureJob` comparing with a job whose
   * window has ended; an update that changes neither the schedule nor the window).
   * @default false
   */
  noFireAllowed?: boolean;
}

/**
 * Validates a caller's request and normalizes it into a {@link JobSpec} (defaults resolved,
 * payload encoded). Runs before any network I/O.
 * @throws `INVALID_SCHEDULE` or `INVALID_ARGUMENT` naming the field and the value.
 */
export function toJobSpec(req: JobRequest, nowMs: number, options: SpecCheckOptions = {}): ValidJobSpec {
  if (typeof req !== "object" || req === null) {
    throw invalid("INVALID_ARGUMENT", "request", req, "must be a JobRequest object");
  }
  return validateJobSpec(
    {
      name: req.name,
      schedule: req.schedule,
      // One rule with the CLI: no payload is a null payload.
      payloadJson: encodePayload(req.payload === undefined ? DEFAULTS.payload : req.payload),
      maxRetries: req.maxRetries ?? DEFAULTS.maxRetries,
      timeoutSecs: req.timeoutSecs ?? DEFAULTS.timeoutSecs,
      ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
      ...(req.key === undefined ? {} : { key: req.key }),
      ...(req.overlap === undefined ? {} : { overlap: req.overlap }),
      ...(req.startAt === undefined ? {} : { startAt: req.startAt }),
      ...(req.endAt === undefined ? {} : { endAt: req.endAt }),
    },
    nowMs,
    options,
  );
}

/**
 * Validates an `ensureJob` request: a {@link toJobSpec} whose key is required, with a one-shot in
 * the past allowed (it may match the job it created) and without an idempotency key.
 * @throws `INVALID_ARGUMENT` naming `key` when there is none, and as {@link toJobSpec}.
 */
export function toEnsureSpec(req: JobRequest, nowMs: number): ValidJobSpec {
  if (typeof req === "object" && req !== null && req.key === undefined) {
    throw invalid("INVALID_ARGUMENT", "key", undefined, "is required by ensureJob");
  }
  const { idempotencyKey: _unused, ...spec } = toJobSpec(req, nowMs, { pastRunAtAllowed: true, noFireAllowed: true });
  return spec;
}

/**
 * Validates a normalized spec: the server-side half of the rules, also run by the clients.
 * @throws `INVALID_SCHEDULE` or `INVALID_ARGUMENT`
 */
export function validateJobSpec(spec: JobSpec, nowMs: number, options: SpecCheckOptions = {}): ValidJobSpec {
  const name = checkName(spec.name);
  checkInteger("maxRetries", spec.maxRetries, 0, LIMITS.maxRetries);
  const { idempotencyKey, key } = spec;
  if (idempotencyKey !== undefined) checkKey("idempotencyKey", idempotencyKey);
  if (key !== undefined) checkKey("key", key);
  checkInteger("timeoutSecs", spec.timeoutSecs, 1, LIMITS.timeoutSecsMax);
  const overlap = validateOverlap("overlap", spec.overlap ?? DEFAULTS.overlap);
  const schedule = validateSchedule(spec.schedule, nowMs, options.pastRunAtAllowed === true);
  const window = validateWindow(schedule, spec.startAt, spec.endAt, nowMs, options.noFireAllowed === true);
  return {
    name,
    schedule,
    payloadJson: checkPayloadJson(spec.payloadJson),
    maxRetries: spec.maxRetries,
    timeoutSecs: spec.timeoutSecs,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(key === undefined ? {} : { key }),
    overlap,
    ...window,
  };
}

/** @throws `INVALID_ARGUMENT` unless `name` is 1 to 200 characters, not only white space. */
export function checkName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "") {
    throw invalid("INVALID_ARGUMENT", "name", name, "must be a non-empty string");
  }
  if ([...name].length > LIMITS.nameMaxLength) {
    throw invalid("INVALID_ARGUMENT", "name", name, `must be at most ${LIMITS.nameMaxLength} characters`);
  }
  return name;
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
  const { status, namePrefix, key } = filter;
  if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
    throw invalid("INVALID_ARGUMENT", "filter.status", status, `must be one of ${JOB_STATUSES.join(", ")}`);
  }
  if (namePrefix !== undefined && typeof namePrefix !== "string") {
    throw invalid("INVALID_ARGUMENT", "filter.namePrefix", namePrefix, "must be a string");
  }
  if (key !== undefined) checkKey("filter.key", key);
  return {
    ...(status === undefined ? {} : { status }),
    ...(namePrefix === undefined || namePrefix === "" ? {} : { namePrefix }),
    ...(key === undefined ? {} : { key }),
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

/**
 * Resolves the `count` of `getUpcomingFires`: `undefined` means the default (10).
 * @throws `INVALID_ARGUMENT` naming `count` and the value outside 1..100.
 */
export function resolveFireCount(count: number | undefined): number {
  if (count === undefined) return DEFAULTS.upcomingFires;
  checkInteger("count", count, 1, LIMITS.upcomingFiresMax);
  return count;
}

/** @throws `INVALID_ARGUMENT` naming `field` unless `value` is a whole number from min to max. */
export function checkInteger(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid("INVALID_ARGUMENT", field, value, `must be a whole number from ${min} to ${max}`);
  }
}
