import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, type Timestamp, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Job as JobPb,
  JobSchema,
  type Schedule as SchedulePb,
  ScheduleSchema,
} from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import {
  type CreateJobRequest as CreateJobRequestPb,
  CreateJobRequestSchema,
} from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import type { Job, OverlapPolicy } from "../types/job.js";
import type { JobSpec, StoredJob } from "../types/job-spec.js";
import type { Schedule } from "../types/schedule.js";
import { DEFAULTS } from "../validation/limits.js";
import { jobStatusConverter, overlapConverter } from "./enum-converters.js";

/** An optional instant -> wire (unset when absent). */
export function optionalTimestamp(date: Date | undefined): Timestamp | undefined {
  return date === undefined ? undefined : timestampFromMs(date.getTime());
}

/** Domain schedule -> wire. */
export function scheduleToProto(s: Schedule): SchedulePb {
  switch (s.type) {
    case "cron":
      return create(ScheduleSchema, {
        kind: { case: "cron", value: { expression: s.expression, timezone: s.timezone ?? "" } },
      });
    case "one_shot":
      return create(ScheduleSchema, {
        kind: { case: "oneShot", value: { runAt: timestampFromMs(s.runAt.getTime()) } },
      });
    case "interval":
      return create(ScheduleSchema, {
        kind: { case: "interval", value: { interval: durationFromMs(s.intervalMs) } },
      });
  }
}

/**
 * Wire schedule -> domain. Structural faults (no kind, missing time, sub-millisecond interval)
 * are `INVALID_SCHEDULE`; range rules are left to validation.
 */
export function scheduleFromProto(s: SchedulePb | undefined): Schedule {
  const kind = s?.kind;
  switch (kind?.case) {
    case "cron":
      return kind.value.timezone === ""
        ? { type: "cron", expression: kind.value.expression }
        : { type: "cron", expression: kind.value.expression, timezone: kind.value.timezone };
    case "oneShot":
      if (kind.value.runAt === undefined) throw badSchedule("schedule.runAt", "is required");
      return { type: "one_shot", runAt: new Date(timestampMs(kind.value.runAt)) };
    case "interval": {
      const d = kind.value.interval;
      if (d === undefined) throw badSchedule("schedule.intervalMs", "is required");
      if (d.nanos % 1_000_000 !== 0) throw badSchedule("schedule.intervalMs", "must be a whole number of milliseconds");
      return { type: "interval", intervalMs: durationMs(d) };
    }
    default:
      throw badSchedule("schedule", "must set one of cron, one_shot or interval");
  }
}

function badSchedule(field: string, rule: string): SchedulerError {
  return new SchedulerError(`${field} ${rule}`, "INVALID_SCHEDULE", { field });
}

/** Stored job -> wire; the payload text goes out exactly as stored. */
export function jobToProto(job: StoredJob): JobPb {
  return create(JobSchema, {
    id: job.id,
    name: job.name,
    schedule: scheduleToProto(job.schedule),
    status: jobStatusConverter.toProto(job.status),
    payloadJson: job.payloadJson,
    maxRetries: job.maxRetries,
    timeoutSecs: job.timeoutSecs,
    createdAt: timestampFromMs(job.createdAt.getTime()),
    ...(job.nextRunAt === undefined ? {} : { nextRunAt: timestampFromMs(job.nextRunAt.getTime()) }),
    key: job.key ?? "",
    overlap: overlapConverter.toProto(job.overlap),
    startAt: optionalTimestamp(job.startAt),
    endAt: optionalTimestamp(job.endAt),
  });
}

/** Wire job -> domain. @throws `SERVER_ERROR` when the server sent a malformed job. */
export function jobFromProto(pb: JobPb | undefined): Job {
  if (pb === undefined) throw new SchedulerError("the server sent a response without a job", "SERVER_ERROR");
  let payload: unknown;
  try {
    payload = JSON.parse(pb.payloadJson);
  } catch (err) {
    throw new SchedulerError(`the server sent job ${pb.id} with a payload that is not JSON`, "SERVER_ERROR", {
      cause: err,
    });
  }
  let schedule: Schedule;
  try {
    schedule = scheduleFromProto(pb.schedule);
  } catch (err) {
    // The server sent it, so it is the server's fault (or a schedule kind newer than this client).
    throw new SchedulerError(`the server sent job ${pb.id} with a schedule this client cannot read`, "SERVER_ERROR", {
      cause: err,
    });
  }
  const job: Job = {
    id: pb.id,
    name: pb.name,
    schedule,
    status: jobStatusConverter.fromProto(pb.status),
    payload,
    maxRetries: pb.maxRetries,
    timeoutSecs: pb.timeoutSecs,
    createdAt: new Date(pb.createdAt === undefined ? 0 : timestampMs(pb.createdAt)),
    overlap: overlapConverter.fromProto(pb.overlap),
  };
  // Assigned, not spread in: listings map thousands of jobs.
  if (pb.nextRunAt !== undefined) job.nextRunAt = new Date(timestampMs(pb.nextRunAt));
  if (pb.key !== "") job.key = pb.key;
  if (pb.startAt !== undefined) job.startAt = new Date(timestampMs(pb.startAt));
  if (pb.endAt !== undefined) job.endAt = new Date(timestampMs(pb.endAt));
  return job;
}

/** Validated spec -> CreateJobRequest. */
export function jobSpecToProto(spec: JobSpec): CreateJobRequestPb {
  return create(CreateJobRequestSchema, {
    name: spec.name,
    schedule: scheduleToProto(spec.schedule),
    payloadJson: spec.payloadJson,
    maxRetries: spec.maxRetries,
    timeoutSecs: spec.timeoutSecs,
    idempotencyKey: spec.idempotencyKey ?? "",
    key: spec.key ?? "",
    overlap: spec.overlap === undefined ? 0 : overlapConverter.toProto(spec.overlap),
    startAt: optionalTimestamp(spec.startAt),
    endAt: optionalTimestamp(spec.endAt),
  });
}

/** CreateJobRequest -> spec, with the contract's defaults for unset optional fields. Not yet validated. */
export function jobSpecFromProto(pb: CreateJobRequestPb): JobSpec {
  return {
    name: pb.name,
    schedule: scheduleFromProto(pb.schedule),
    payloadJson: pb.payloadJson,
    maxRetries: pb.maxRetries ?? DEFAULTS.maxRetries,
    timeoutSecs: pb.timeoutSecs ?? DEFAULTS.timeoutSecs,
    ...(pb.idempotencyKey === "" ? {} : { idempotencyKey: pb.idempotencyKey }),
    ...(pb.key === "" ? {} : { key: pb.key }),
    overlap: overlapFromRequest(pb.overlap),
    ...(pb.startAt === undefined ? {} : { startAt: new Date(timestampMs(pb.startAt)) }),
    ...(pb.endAt === undefined ? {} : { endAt: new Date(timestampMs(pb.endAt)) }),
  };
}

/** A request's overlap policy; a value this server does not know is the caller's `INVALID_ARGUMENT`. */
export function overlapFromRequest(value: number): OverlapPolicy {
  try {
    return overlapConverter.fromProto(value);
  } catch {
    throw new SchedulerError(`overlap is not a known OverlapPolicy, got ${value}`, "INVALID_ARGUMENT", { field: "overlap" });
  }
}
