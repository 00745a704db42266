import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
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

/**
 * Builds a {@link SchedulerRpc} on a Connect transport. Each call goes to `transport.unary`
 * directly and is mapped in the one handler of its promise: no generic client layer (Connect's
 * `createClient` adds an async function per call and asks for headers nobody reads).
 */
export function createSchedulerRpc(transport: Transport): SchedulerRpc {
  const { method } = SchedulerService;
  const call = <I extends DescMessage, O extends DescMessage, T>(
    rpc: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options: RpcOptions,
    map: (output: MessageShape<O>) => T,
  ): Promise<T> => transport.unary(rpc, options.signal, options.timeoutMs, undefined, input).then((res) => map(res.message));
  return {
    createJob: (spec, options) => call(method.createJob, jobSpecToProto(spec), options, (res) => jobFromProto(res.job)),
    getJob: (jobId, options) => call(method.getJob, { jobId }, options, (res) => jobFromProto(res.job)),
    cancelJob: (jobId, options) => call(method.cancelJob, { jobId }, options, (res) => jobFromProto(res.job)),
    pauseJob: (jobId, options) => call(method.pauseJob, { jobId }, options, (res) => jobFromProto(res.job)),
    resumeJob: (jobId, options) => call(method.resumeJob, { jobId }, options, (res) => jobFromProto(res.job)),
    listJobs: (filter, pageSize, pageToken, options) =>
      call(
        method.listJobs,
        {
          status: filter.status === undefined ? 0 : jobStatusConverter.toProto(filter.status),
          namePrefix: filter.namePrefix ?? "",
          key: filter.key ?? "",
          pageSize,
          pageToken,
        },
        options,
        (res) => ({ items: res.jobs.map(jobFromProto), nextPageToken: res.nextPageToken }),
      ),
    listExecutions: (jobId, pageSize, pageToken, options) =>
      call(method.listExecutions, { jobId, pageSize, pageToken }, options, (res) => ({
        items: res.executions.map(executionFromProto),
        nextPageToken: res.nextPageToken,
      })),
    ensureJob: (spec, options) =>
      call(method.ensureJob, { job: jobSpecToProto(spec) }, options, (res) => ({ job: jobFromProto(res.job), outcome: ensureOutcomeConverter.fromProto(res.outcome) })),
    updateJob: (jobId, changes, options) => call(method.updateJob, changesToProto(jobId, changes), options, (res) => jobFromProto(res.job)),
    triggerJob: (jobId, requestId, options) =>
      call(method.triggerJob, { jobId, requestId }, options, ({ execution }) => {
        if (execution === undefined) throw new SchedulerError("the server sent a TriggerJob response without an execution", "SERVER_ERROR");
        return executionFromProto(execution);
      }),
    deleteJob: (jobId, options) => call(method.deleteJob, { jobId }, options, () => undefined),
    getUpcomingFires: (jobId, count, options) => call(method.getUpcomingFires, { jobId, count }, options, (res) => res.fireTimes.map((t) => new Date(timestampMs(t)))),
  };
}
