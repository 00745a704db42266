import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { jobStatusConverter } from "./enum-converters.js";
import { executionFromProto } from "./execution-mapping.js";
import { jobFromProto, jobSpecToProto } from "./job-mapping.js";
import type { JobExecution } from "../types/execution.js";
import type { Job, JobFilter } from "../types/job.js";
import type { JobSpec } from "../types/job-spec.js";

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
  };
}
