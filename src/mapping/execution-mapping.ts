import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type JobCompletedEvent as JobCompletedEventPb,
  JobCompletedEventSchema,
} from "../../gen/k1s0/system/scheduler/v1/events_pb.js";
import {
  type JobExecution as JobExecutionPb,
  JobExecutionSchema,
} from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import type { JobCompletedEvent, JobExecution } from "../types/execution.js";
import { executionResultConverter, executionTriggerConverter } from "./enum-converters.js";

/** Domain execution -> wire. */
export function executionToProto(e: JobExecution): JobExecutionPb {
  return create(JobExecutionSchema, {
    id: e.id,
    jobId: e.jobId,
    startedAt: timestampFromMs(e.startedAt.getTime()),
    ...(e.finishedAt === undefined ? {} : { finishedAt: timestampFromMs(e.finishedAt.getTime()) }),
    result: executionResultConverter.toProto(e.result),
    error: e.error ?? "",
    attempt: e.attempt,
    trigger: executionTriggerConverter.toProto(e.trigger),
  });
}

/** Wire execution -> domain. */
export function executionFromProto(pb: JobExecutionPb): JobExecution {
  return {
    id: pb.id,
    jobId: pb.jobId,
    startedAt: new Date(pb.startedAt === undefined ? 0 : timestampMs(pb.startedAt)),
    ...(pb.finishedAt === undefined ? {} : { finishedAt: new Date(timestampMs(pb.finishedAt)) }),
    result: executionResultConverter.fromProto(pb.result),
    ...(pb.error === "" ? {} : { error: pb.error }),
    attempt: pb.attempt,
    ...withTrigger(pb.trigger),
  };
}

/** `{ trigger }`, or nothing for `EXECUTION_TRIGGER_UNSPECIFIED` (a server that predates it). */
function withTrigger(value: number): { trigger?: NonNullable<JobExecution["trigger"]> } {
  const trigger = executionTriggerConverter.fromProto(value);
  return trigger === undefined ? {} : { trigger };
}

/** Domain event -> wire (the Kafka message). */
export function eventToProto(e: JobCompletedEvent): JobCompletedEventPb {
  return create(JobCompletedEventSchema, {
    jobId: e.jobId,
    executionId: e.executionId,
    completedAt: timestampFromMs(e.completedAt.getTime()),
    result: executionResultConverter.toProto(e.result),
    jobName: e.jobName,
    attempt: e.attempt,
    error: e.error ?? "",
    trigger: executionTriggerConverter.toProto(e.trigger),
  });
}

/** Wire event -> domain. */
export function eventFromProto(pb: JobCompletedEventPb): JobCompletedEvent {
  return {
    jobId: pb.jobId,
    executionId: pb.executionId,
    completedAt: new Date(pb.completedAt === undefined ? 0 : timestampMs(pb.completedAt)),
    result: executionResultConverter.fromProto(pb.result),
    jobName: pb.jobName,
    attempt: pb.attempt,
    ...(pb.error === "" ? {} : { error: pb.error }),
    ...withTrigger(pb.trigger),
  };
}
