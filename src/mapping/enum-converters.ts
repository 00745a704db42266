import { ExecutionResult as ExecutionResultPb } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import { JobStatus as JobStatusPb } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import type { ExecutionResult } from "../types/execution.js";
import type { JobStatus } from "../types/job.js";

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
