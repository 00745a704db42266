import { fromBinary, fromJson, type JsonValue, toBinary, toJsonString } from "@bufbuild/protobuf";
import { ExecutionResult as ExecutionResultPb } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import {
  type JobCompletedEvent as JobCompletedEventPb,
  JobCompletedEventSchema,
} from "../../gen/k1s0/system/scheduler/v1/events_pb.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import type { JobCompletedEvent } from "../types/execution.js";
import { eventFromCanonicalJson } from "./event-json-fast-path.js";
import { eventFromProto, eventToProto } from "./execution-mapping.js";

/** Content type of the canonical protobuf JSON encoding (what the SDK publishes). */
export const JSON_CONTENT_TYPE = "application/json";
/** Content type of the binary protobuf encoding (accepted on decode). */
export const PROTOBUF_CONTENT_TYPE = "application/x-protobuf";

/** A Kafka record for one event: keyed by job id, so one job's events stay in order. */
export interface EncodedJobCompletedEvent {
  /** The record key: the job id. */
  key: string;
  /** The encoded message. */
  value: Buffer;
  /** Record headers. */
  headers: {
    /** `application/json` or `application/x-protobuf`. */
    "content-type": string;
  };
}

/**
 * Encodes an event as the contract's `JobCompletedEvent` message: canonical protobuf JSON by
 * default, or binary protobuf.
 */
export function encodeJobCompletedEvent(event: JobCompletedEvent, format: "json" | "binary" = "json"): EncodedJobCompletedEvent {
  const pb = eventToProto(event);
  return format === "json"
    ? { key: event.jobId, value: Buffer.from(toJsonString(JobCompletedEventSchema, pb), "utf8"), headers: { "content-type": JSON_CONTENT_TYPE } }
    : { key: event.jobId, value: Buffer.from(toBinary(JobCompletedEventSchema, pb)), headers: { "content-type": PROTOBUF_CONTENT_TYPE } };
}

/**
 * Decodes a record value by its content type (JSON when the header is missing). Fields this
 * version does not know are ignored, so producers can add fields.
 * @throws `INVALID_ARGUMENT` naming what is wrong: not JSON, not the message, or a missing field.
 */
export function decodeJobCompletedEvent(value: Uint8Array | null | undefined, contentType?: string): JobCompletedEvent {
  if (value === null || value === undefined || value.length === 0) throw malformed("event", "the record has no value");
  const type = contentType === undefined || contentType === JSON_CONTENT_TYPE ? JSON_CONTENT_TYPE : contentType.split(";")[0]?.trim().toLowerCase();
  if (type === JSON_CONTENT_TYPE) {
    let json: JsonValue;
    try {
      json = JSON.parse(utf8(value)) as JsonValue;
    } catch (err) {
      throw notTheMessage(err);
    }
    // What the SDK publishes takes the fast path; anything else (and every error) the full one.
    return eventFromCanonicalJson(json) ?? eventFromJsonValue(json);
  }
  let pb: JobCompletedEventPb;
  try {
    if (type === PROTOBUF_CONTENT_TYPE || type === "application/protobuf") {
      pb = fromBinary(JobCompletedEventSchema, value);
    } else {
      throw new Error(`unsupported content-type ${JSON.stringify(contentType)}`);
    }
  } catch (err) {
    throw notTheMessage(err);
  }
  return checkedEvent(pb);
}

/**
 * The full (reflection-based) decoding of a parsed JSON value: protobuf-es `fromJson`, then the
 * checks. `decodeJobCompletedEvent` uses it when the fast path declines; internal (the tests
 * compare the two paths with it).
 */
export function eventFromJsonValue(json: JsonValue): JobCompletedEvent {
  let pb: JobCompletedEventPb;
  try {
    pb = fromJson(JobCompletedEventSchema, json, { ignoreUnknownFields: true });
  } catch (err) {
    throw notTheMessage(err);
  }
  return checkedEvent(pb);
}

/** UTF-8 text of a record value (kafkajs gives Buffers: decoded without a copy). */
function utf8(value: Uint8Array): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(value)).toString("utf8");
}

/** The required fields and a final result, then the domain event. */
function checkedEvent(pb: JobCompletedEventPb): JobCompletedEvent {
  if (pb.jobId === "") throw malformed("event.jobId", "is missing");
  if (pb.executionId === "") throw malformed("event.executionId", "is missing");
  if (pb.completedAt === undefined) throw malformed("event.completedAt", "is missing");
  if (pb.result === ExecutionResultPb.UNSPECIFIED || pb.result === ExecutionResultPb.RUNNING) {
    throw malformed("event.result", `must be SUCCEEDED, FAILED or TIMED_OUT, got ${ExecutionResultPb[pb.result] ?? pb.result}`);
  }
  try {
    return eventFromProto(pb);
  } catch (err) {
    throw malformed("event.result", "is not a known execution result", err);
  }
}

function notTheMessage(err: unknown): SchedulerError {
  return malformed("event", `is not a JobCompletedEvent (${(err as Error).message})`, err);
}

function malformed(field: string, problem: string, cause?: unknown): SchedulerError {
  return new SchedulerError(`${field} ${problem}`, "INVALID_ARGUMENT", { field, ...(cause === undefined ? {} : { cause }) });
}
