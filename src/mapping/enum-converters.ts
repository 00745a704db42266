import { ExecutionResult as ExecutionResultPb, ExecutionTrigger as ExecutionTriggerPb } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import { JobStatus as JobStatusPb, OverlapPolicy as OverlapPolicyPb } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { EnsureJobOutcome as EnsureJobOutcomePb } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import type { ExecutionResult, ExecutionTrigger } from "../types/execution.js";
import type { JobStatus, OverlapPolicy } from "../types/job.js";
import type { EnsureJobOutcome } from "../types/job-changes.js";

/**
 * Two-way converters between a domain string union and a generated enum. The tables below are
 * `Record`s over the union, so adding a status to the union without a wire value (or the other
 * way round) fails to compile.
 */
function makeConverters<D extends string, P extends number>(name: string, toWire: Record<D, P>) {
  const fromWire = new Map<number, D>();
  for (const [domain, wire] of Object.entries(toWire) as [D, P][]) fromWire.set(wire, domain);
  return {
    toProto: (value: D): P => toWire[value],
    fromProto: (value: number): D => {
      const domain = fromWire.get(value);
      if (domain === undefined) {
        throw new SchedulerError(`the server sent an unknown ${name} (${value})`, "SERVER_ERROR");
      }
      return domain;
    },
  };
}

/** `JobStatus` <-> `k1s0.system.scheduler.v1.JobStatus`. */
export const jobStatusConverter = makeConverters<JobStatus, JobStatusPb>("job status", {
  pending: JobStatusPb.PENDING,
  running: JobStatusPb.RUNNING,
  completed: JobStatusPb.COMPLETED,
  failed: JobStatusPb.FAILED,
  paused: JobStatusPb.PAUSED,
  cancelled: JobStatusPb.CANCELLED,
});

/** `ExecutionResult` <-> `k1s0.system.scheduler.v1.ExecutionResult`. */
export const executionResultConverter = makeConverters<ExecutionResult, ExecutionResultPb>("execution result", {
  running: ExecutionResultPb.RUNNING,
  succeeded: ExecutionResultPb.SUCCEEDED,
  failed: ExecutionResultPb.FAILED,
  timed_out: ExecutionResultPb.TIMED_OUT,
});

/**
 * `OverlapPolicy` <-> `k1s0.system.scheduler.v1.OverlapPolicy`. `OVERLAP_POLICY_UNSPECIFIED` (a
 * request or a server that predates the field) reads as `"skip"`, as the contract says.
 */
export const overlapConverter = (() => {
  const converters = makeConverters<OverlapPolicy, OverlapPolicyPb>("overlap policy", {
    skip: OverlapPolicyPb.SKIP,
    buffer_one: OverlapPolicyPb.BUFFER_ONE,
    allow_all: OverlapPolicyPb.ALLOW_ALL,
  });
  return {
    toProto: converters.toProto,
    fromProto: (value: number): OverlapPolicy => (value === (OverlapPolicyPb.UNSPECIFIED as number) ? "skip" : converters.fromProto(value)),
  };
})();

/**
 * `ExecutionTrigger` <-> `k1s0.system.scheduler.v1.ExecutionTrigger`. It only says where an
 * execution came from, so it never fails a read: `EXECUTION_TRIGGER_UNSPECIFIED` (a server that
 * predates the field) and values newer than this client read as `undefined`.
 */
export const executionTriggerConverter = (() => {
  const toWire: Record<ExecutionTrigger, ExecutionTriggerPb> = {
    schedule: ExecutionTriggerPb.SCHEDULE,
    manual: ExecutionTriggerPb.MANUAL,
    retry: ExecutionTriggerPb.RETRY,
  };
  const fromWire = new Map<number, ExecutionTrigger>((Object.entries(toWire) as [ExecutionTrigger, ExecutionTriggerPb][]).map(([d, w]) => [w, d]));
  return {
    toProto: (value: ExecutionTrigger | undefined): ExecutionTriggerPb => (value === undefined ? ExecutionTriggerPb.UNSPECIFIED : toWire[value]),
    fromProto: (value: number): ExecutionTrigger | undefined => fromWire.get(value),
  };
})();

/** `EnsureJobOutcome` <-> `k1s0.system.scheduler.v1.EnsureJobOutcome`. */
export const ensureOutcomeConverter = makeConverters<EnsureJobOutcome, EnsureJobOutcomePb>("ensure outcome", {
  created: EnsureJobOutcomePb.CREATED,
  unchanged: EnsureJobOutcomePb.UNCHANGED,
  updated: EnsureJobOutcomePb.UPDATED,
});
