import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import { ensureOutcomeConverter, jobStatusConverter } from "./enum-converters.js";
import { executionFromProto } from "./execution-mapping.js";
import { changesToProto } from "./job-changes-mapping.js";
import { jobFromProto, jobSpecToProto } from "./job-mapping.js";
import type { JobExecution } from "../types/execution.js";
import type { Job, JobFilter } from "../types/job.js";
import type { EnsureJobResult } from "../types/job-changes.js";
import type { JobSpec, SpecChanges } from "../types/job-spec.js";

/** Per-request options passed through to Connect. */
export interface RpcOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** One page as the server returned it. */
export interface RpcPage<T> {
  items: T[];
  nextPageToken: string;
}

/**
 * The scheduler service with domain types in and out: the client side of the mapping layer.
 * Errors are thrown as Connect raised them; the caller translates them.
 */
export interface SchedulerRpc {
  createJob(spec: JobSpec, options: RpcOptions): Promise<Job>;
  getJob(jobId: string, options: RpcOptions): Promise<Job>;
  cancelJob(jobId: string, options: RpcOptions): Promise<Job>;
  pauseJob(jobId: string, options: RpcOptions): Promise<Job>;
  resumeJob(jobId: string, options: RpcOptions): Promise<Job>;
  listJobs(filter: JobFilter, pageSize: number, pageToken: string, options: RpcOptions): Promise<RpcPage<Job>>;
  listExecutions(jobId: string, pageSize: number, pageToken: string, options: RpcOptions): Promise<RpcPage<JobExecution>>;
  ensureJob(spec: JobSpec, options: RpcOptions): Promise<EnsureJobResult>;
  updateJob(jobId: string, changes: SpecChanges, options: RpcOptions): Promise<Job>;
  triggerJob(jobId: string, requestId: string, options: RpcOptions): Promise<JobExecution>;
  deleteJob(jobId: string, options: RpcOptions): Promise<void>;
  getUpcomingFires(jobId: string, count: number, options: RpcOptions): Promise<Date[]>;
}

/** Builds a {@link SchedulerRpc} on a Connect transport. */
export function createSchedulerRpc(transport: Transport): SchedulerRpc {
  const client: Client<typeof SchedulerService> = createClient(SchedulerService, transport);
  return {
    createJob: async (spec, options) => jobFromProto((await client.createJob(jobSpecToProto(spec), options)).job),
    getJob: async (jobId, options) => jobFromProto((await client.getJob({ jobId }, options)).job),
    cancelJob: async (jobId, options) => jobFromProto((await client.cancelJob({ jobId }, options)).job),
    pauseJob: async (jobId, options) => jobFromProto((await client.pauseJob({ jobId }, options)).job),
    resumeJob: async (jobId, options) => jobFromProto((await client.resumeJob({ jobId }, options)).job),
    listJobs: async (filter, pageSize, pageToken, options) => {
      const res = await client.listJobs(
        {
          status: filter.status === undefined ? 0 : jobStatusConverter.toProto(filter.status),
          namePrefix: filter.namePrefix ?? "",
          key: filter.key ?? "",
          pageSize,
          pageToken,
        },
        options,
      );
      return { items: res.jobs.map(jobFromProto), nextPageToken: res.nextPageToken };
    },
    listExecutions: async (jobId, pageSize, pageToken, options) => {
      const res = await client.listExecutions({ jobId, pageSize, pageToken }, options);
      return { items: res.executions.map(executionFromProto), nextPageToken: res.nextPageToken };
    },
    ensureJob: async (spec, options) => {
      const res = await client.ensureJob({ job: jobSpecToProto(spec) }, options);
      return { job: jobFromProto(res.job), outcome: ensureOutcomeConverter.fromProto(res.outcome) };
    },
    updateJob: async (jobId, changes, options) => jobFromProto((await client.updateJob(changesToProto(jobId, changes), options)).job),
    triggerJob: async (jobId, requestId, options) => {
      const { execution } = await client.triggerJob({ jobId, requestId }, options);
      if (execution === undefined) throw new SchedulerError("the server sent a TriggerJob response without an execution", "SERVER_ERROR");
      return executionFromProto(execution);
    },
    deleteJob: async (jobId, options) => void (await client.deleteJob({ jobId }, options)),
    getUpcomingFires: async (jobId, count, options) =>
      (await client.getUpcomingFires({ jobId, count }, options)).fireTimes.map((t) => new Date(timestampMs(t))),
  };
}
