import type { ExecutionResult, ExecutionTrigger, JobCompletedEvent } from "../types/execution.js";

/**
 * The fast path of `decodeJobCompletedEvent` for JSON records: builds the domain event straight
 * from the parsed JSON when it has exactly the plain shape the SDK itself publishes (canonical
 * protobuf JSON of `JobCompletedEvent`, see `encodeJobCompletedEvent`), skipping protobuf-es's
 * reflection-based `fromJson`.
 *
 * It never decides anything on its own: it returns `undefined` for every input it is not sure
 * to decode exactly as `fromJson` + `eventFromProto` would (and for every invalid input, so all
 * errors come from the full path with their usual messages), and the caller then takes the full
 * path with the same parsed value. test/mapping/event-json-fast-path.test.ts checks with
 * generated and mutated inputs that both paths always agree.
 *
 * What it accepts, field by field (by JSON name; any other key is ignored, as `fromJson` with
 * `ignoreUnknownFields` does, except the proto names of the fields, which `fromJson` also
 * accepts, so they go to the full path):
 * - `jobId`, `executionId`: non-empty well-formed strings (protobuf-es rejects lone surrogates);
 * - `jobName`, `error`: absent or well-formed strings;
 * - `completedAt`: exactly `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` within 0001-01-01T00:00:00Z ..
 *   9999-12-31T23:59:59Z (whole seconds), read the way protobuf-es reads it (`Date.parse` of the
 *   whole seconds with `Z`, the fraction as nanoseconds), then to milliseconds as `timestampMs`
 *   does;
 * - `result`: `EXECUTION_RESULT_SUCCEEDED|FAILED|TIMED_OUT` or their numbers 2, 3, 4;
 * - `attempt`: absent or an integer number 0 .. 2^32-1;
 * - `trigger`: absent, or `EXECUTION_TRIGGER_UNSPECIFIED|SCHEDULE|MANUAL|RETRY` or their
 *   numbers 0 to 3.
 * Everything else (null values, numbers as strings, offsets instead of `Z`, unknown or
 * non-final enum values, missing required fields, ...) returns `undefined`.
 */
export function eventFromCanonicalJson(json: unknown): JobCompletedEvent | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const obj = json as Record<string, unknown>;
  let jobId: unknown;
  let executionId: unknown;
  let completedAt: unknown;
  let result: unknown;
  let jobName: unknown;
  let attempt: unknown;
  let error: unknown;
  let trigger: unknown;
  // Own enumerable keys, as fromJson's Object.entries() sees them.
  for (const key of Object.keys(obj)) {
    switch (key) {
      case "jobId":
        jobId = obj[key];
        break;
      case "executionId":
        executionId = obj[key];
        break;
      case "completedAt":
        completedAt = obj[key];
        break;
      case "result":
        result = obj[key];
        break;
      case "jobName":
        jobName = obj[key];
        break;
      case "attempt":
        attempt = obj[key];
        break;
      case "error":
        error = obj[key];
        break;
      case "trigger":
        trigger = obj[key];
        break;
      // The proto names: fromJson accepts them too (and rejects a field set twice).
      case "job_id":
      case "execution_id":
      case "completed_at":
      case "job_name":
        return undefined;
      default:
        // Unknown: ignored, as by fromJson with ignoreUnknownFields.
        break;
    }
  }
  if (typeof jobId !== "string" || jobId === "" || !wellFormed(jobId)) return undefined;
  if (typeof executionId !== "string" || executionId === "" || !wellFormed(executionId)) return undefined;
  if (jobName !== undefined && (typeof jobName !== "string" || !wellFormed(jobName))) return undefined;
  if (error !== undefined && (typeof error !== "string" || !wellFormed(error))) return undefined;
  if (attempt !== undefined && (typeof attempt !== "number" || !Number.isInteger(attempt) || attempt < 0 || attempt > UINT32_MAX)) return undefined;
  const outcome = resultFromJson(result);
  if (outcome === undefined) return undefined;
  const ms = timestampMsFromJson(completedAt);
  if (ms === undefined) return undefined;
  const cause = triggerFromJson(trigger);
  if (cause === false) return undefined;
  return {
    jobId,
    executionId,
    completedAt: new Date(ms),
    result: outcome,
    jobName: jobName ?? "",
    attempt: attempt ?? 0,
    ...(error === undefined || error === "" ? {} : { error }),
    ...(cause === undefined ? {} : { trigger: cause }),
  };
}

/** A trigger by JSON name or number (`undefined` for absent or unspecified); `false` for the full path. */
function triggerFromJson(value: unknown): ExecutionTrigger | undefined | false {
  switch (value) {
    case undefined:
    case "EXECUTION_TRIGGER_UNSPECIFIED":
    case 0:
      return undefined;
    case "EXECUTION_TRIGGER_SCHEDULE":
    case 1:
      return "schedule";
    case "EXECUTION_TRIGGER_MANUAL":
    case 2:
      return "manual";
    case "EXECUTION_TRIGGER_RETRY":
    case 3:
      return "retry";
    default:
      return false;
  }
}

const UINT32_MAX = 0xffffffff;

/** The final results by JSON name or number; anything else (incl. RUNNING, UNSPECIFIED) is for the full path. */
function resultFromJson(value: unknown): ExecutionResult | undefined {
  switch (value) {
    case "EXECUTION_RESULT_SUCCEEDED":
    case 2:
      return "succeeded";
    case "EXECUTION_RESULT_FAILED":
    case 3:
      return "failed";
    case "EXECUTION_RESULT_TIMED_OUT":
    case 4:
      return "timed_out";
    default:
      return undefined;
  }
}

/** Bounds protobuf-es checks the whole seconds against. */
const MIN_MS = Date.parse("0001-01-01T00:00:00Z");
const MAX_MS = Date.parse("9999-12-31T23:59:59Z");
/** Where `YYYY-MM-DDTHH:MM:SS` has its digits. */
const DIGITS_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] as const;

/**
 * `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` to epoch ms, computed as protobuf-es's timestampFromJson +
 * `timestampMs` compute it: `Date.parse` of the same whole-seconds string, the fraction as
 * integer nanoseconds, then `seconds * 1000 + Math.round(nanos / 1e6)`. `undefined` for any
 * other form (offsets included) and for what protobuf-es rejects.
 */
function timestampMsFromJson(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const length = value.length;
  // 20: no fraction; 22..30: a dot and 1 to 9 digits.
  if (length !== 20 && (length < 22 || length > 30)) return undefined;
  if (value.charCodeAt(length - 1) !== 0x5a /* Z */) return undefined;
  if (
    value.charCodeAt(4) !== 0x2d /* - */ ||
    value.charCodeAt(7) !== 0x2d /* - */ ||
    value.charCodeAt(10) !== 0x54 /* T */ ||
    value.charCodeAt(13) !== 0x3a /* : */ ||
    value.charCodeAt(16) !== 0x3a /* : */
  ) {
    return undefined;
  }
  for (const i of DIGITS_AT) if (!isDigit(value.charCodeAt(i))) return undefined;
  let nanos = 0;
  if (length > 20) {
    if (value.charCodeAt(19) !== 0x2e /* . */) return undefined;
    for (let i = 20; i < length - 1; i++) {
      const code = value.charCodeAt(i);
      if (!isDigit(code)) return undefined;
      nanos = nanos * 10 + (code - 0x30);
    }
    nanos *= 10 ** (9 - (length - 21));
  }
  const ms = wholeSecondsMs(value);
  if (Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  return ms + Math.round(nanos / 1_000_000);
}

/** The day `Date.parse` read last, and its midnight (UTC) in ms: events come in runs of one day. */
let lastDay = "";
let lastDayMs = Number.NaN;

/**
 * `Date.parse` of the first 19 characters (checked `YYYY-MM-DDTHH:MM:SS`) plus `Z`, as protobuf-es
 * calls it. For the usual times (hour <= 23, minute and second <= 59) that is the day's midnight
 * plus the time of day, and the day's `Date.parse` is remembered; V8's own leniencies (24:00:00,
 * February 30, ...) go through `Date.parse` of the whole string itself.
 */
function wholeSecondsMs(value: string): number {
  const hours = twoDigits(value, 11);
  const minutes = twoDigits(value, 14);
  const seconds = twoDigits(value, 17);
  if (hours > 23 || minutes > 59 || seconds > 59) return Date.parse(`${value.slice(0, 19)}Z`);
  if (!value.startsWith(lastDay) || lastDay === "") {
    lastDay = value.slice(0, 10);
    lastDayMs = Date.parse(`${lastDay}T00:00:00Z`);
  }
  return lastDayMs + hours * 3_600_000 + minutes * 60_000 + seconds * 1_000;
}

/** The number of two (checked) digits at `at`. */
function twoDigits(value: string, at: number): number {
  return (value.charCodeAt(at) - 0x30) * 10 + (value.charCodeAt(at + 1) - 0x30);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** What protobuf-es's string check accepts (encodeURIComponent succeeds): no lone surrogates. */
const isWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
function wellFormed(text: string): boolean {
  if (isWellFormed !== undefined) return isWellFormed.call(text);
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}
