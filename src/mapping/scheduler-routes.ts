import type { ConnectRouter } from "@connectrpc/connect";
import { JobStatus as JobStatusPb } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { PageBudget, SchedulerEngine } from "../engine/scheduler-engine.js";
import type { JobExecution } from "../types/execution.js";
import type { JobFilter } from "../types/job.js";
import type { StoredJob } from "../types/job-spec.js";
import type { Schedule } from "../types/schedule.js";
import { invalid } from "../validation/invalid.js";
import { ensureOutcomeConverter, jobStatusConverter } from "./enum-converters.js";
import { executionToProto } from "./execution-mapping.js";
import { changesFromProto } from "./job-changes-mapping.js";
import { jobSpecFromProto, jobToProto } from "./job-mapping.js";

/**
 * Byte budget of one ListJobs or ListExecutions response (the encoded protobuf message): a page
 * holds fewer than `page_size` items rather than pass it, but always at least one while any
 * remain. 2 MiB, so that a page plus its framing and headers stays well under the 4 MiB that
 * gRPC implementations accept by default (grpc-go, grpc-java, grpc-js), and one job at its
 * largest (a 1 MiB payload, just over 1 MiB encoded) always fits. Stated in the contract
 * (scheduler_service.proto, ListJobsRequest.page_size).
 */
export const LIST_RESPONSE_MAX_BYTES = 2 * 1024 * 1024;

/**
 * The server side of the mapping layer: serves `SchedulerService` from a {@link SchedulerEngine}.
 * Handlers throw `SchedulerError`s; the router's `translateErrors` interceptor turns them into
 * gRPC statuses with an `ErrorDetail`. Listings stop short of `page_size` to keep each response
 * under {@link LIST_RESPONSE_MAX_BYTES}.
 */
export function schedulerRoutes(engine: SchedulerEngine): (router: ConnectRouter) => void {
  return (router) => {
    router.service(SchedulerService, {
      createJob: (req) => ({ job: jobToProto(engine.createJob(jobSpecFromProto(req))) }),
      getJob: (req) => ({ job: jobToProto(engine.getJob(req.jobId)) }),
      cancelJob: (req) => ({ job: jobToProto(engine.cancelJob(req.jobId)) }),
      pauseJob: (req) => ({ job: jobToProto(engine.pauseJob(req.jobId)) }),
      resumeJob: (req) => ({ job: jobToProto(engine.resumeJob(req.jobId)) }),
      listJobs: (req) => {
        const filter: JobFilter = {
          ...(req.status === JobStatusPb.UNSPECIFIED ? {} : { status: statusFilterFromProto(req.status) }),
          ...(req.namePrefix === "" ? {} : { namePrefix: req.namePrefix }),
          ...(req.key === "" ? {} : { key: req.key }),
        };
        const page = engine.listJobs(filter, req.pageSize, req.pageToken, JOB_PAGE_BUDGET);
        return { jobs: page.items.map(jobToProto), nextPageToken: page.nextPageToken };
      },
      listExecutions: (req) => {
        const page = engine.listExecutions(req.jobId, req.pageSize, req.pageToken, EXECUTION_PAGE_BUDGET);
        return { executions: page.items.map(executionToProto), nextPageToken: page.nextPageToken };
      },
      ensureJob: (req) => {
        if (req.job === undefined) throw invalid("INVALID_ARGUMENT", "job", undefined, "is required");
        const { job, outcome } = engine.ensureJob(jobSpecFromProto(req.job));
        return { job: jobToProto(job), outcome: ensureOutcomeConverter.toProto(outcome) };
      },
      updateJob: (req) => ({ job: jobToProto(engine.updateJob(req.jobId, changesFromProto(req))) }),
      triggerJob: (req) => ({ execution: executionToProto(engine.triggerJob(req.jobId, req.requestId === "" ? undefined : req.requestId)) }),
      deleteJob: (req) => {
        engine.deleteJob(req.jobId);
        return {};
      },
      getUpcomingFires: (req) => ({ fireTimes: engine.upcomingFires(req.jobId, req.count === 0 ? undefined : req.count).map((d) => timestampFromMs(d.getTime())) }),
    });
  };
}

function statusFilterFromProto(status: JobStatusPb): NonNullable<JobFilter["status"]> {
  try {
    return jobStatusConverter.fromProto(status);
  } catch {
    throw invalid("INVALID_ARGUMENT", "filter.status", status, "is not a known JobStatus");
  }
}

// Upper bounds of protobuf encoded sizes, computed from the domain values without encoding them
// (a listing would otherwise encode every item twice). Each is at least what toBinary writes;
// test/testing/page-budget.test.ts checks that against toBinary for arbitrary values.

/** Bytes of a varint holding `n` (0 <= n < 2^53). */
function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/** A length-delimited field (string or message) whose content is `n` bytes: tag, length, content. */
function lengthDelimited(n: number): number {
  return 1 + varintBytes(n) + n;
}

/** A string field, counted even when empty (proto3 leaves empty strings out, so this bounds it). */
function stringField(s: string): number {
  return lengthDelimited(Buffer.byteLength(s, "utf8"));
}

/** An int32/enum/uint32 field at its largest: tag + a 10-byte varint (negative int32). */
const SCALAR_FIELD_MAX = 1 + 10;
/** A Timestamp or Duration field at its largest: two scalar fields in a length-delimited field. */
const TIME_FIELD_MAX = lengthDelimited(2 * SCALAR_FIELD_MAX);

/** The content of a Schedule message: its one kind (CronSchedule, or a message holding one Timestamp or Duration). */
function scheduleBytes(s: Schedule): number {
  const kind = s.type === "cron" ? stringField(s.expression) + stringField(s.timezone ?? "") : TIME_FIELD_MAX;
  return lengthDelimited(kind);
}

/** Upper bound of the bytes `job` takes as one element of `ListJobsResponse.jobs`. */
export function jobEntryBytes(job: StoredJob): number {
  const content =
    stringField(job.id) +
    stringField(job.name) +
    lengthDelimited(scheduleBytes(job.schedule)) +
    SCALAR_FIELD_MAX + // status
    stringField(job.payloadJson) +
    3 * SCALAR_FIELD_MAX + // max_retries, timeout_secs, overlap
    2 * TIME_FIELD_MAX + // created_at, next_run_at
    (job.startAt === undefined ? 0 : TIME_FIELD_MAX) +
    (job.endAt === undefined ? 0 : TIME_FIELD_MAX) +
    stringField(job.key ?? "");
  return lengthDelimited(content);
}

/** Upper bound of the bytes `e` takes as one element of `ListExecutionsResponse.executions`. */
export function executionEntryBytes(e: JobExecution): number {
  const content =
    stringField(e.id) +
    stringField(e.jobId) +
    2 * TIME_FIELD_MAX + // started_at, finished_at
    SCALAR_FIELD_MAX + // result
    stringField(e.error ?? "") +
    2 * SCALAR_FIELD_MAX; // attempt, trigger
  return lengthDelimited(content);
}

const JOB_PAGE_BUDGET: PageBudget<StoredJob> = {
  maxBytes: LIST_RESPONSE_MAX_BYTES,
  itemBytes: jobEntryBytes,
  tokenBytes: stringField,
};

const EXECUTION_PAGE_BUDGET: PageBudget<JobExecution> = {
  maxBytes: LIST_RESPONSE_MAX_BYTES,
  itemBytes: executionEntryBytes,
  tokenBytes: stringField,
};
