import type { ConnectRouter } from "@connectrpc/connect";
import { JobStatus as JobStatusPb } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import type { SchedulerEngine } from "../engine/scheduler-engine.js";
import type { JobFilter } from "../types/job.js";
import { invalid } from "../validation/invalid.js";
import { jobStatusConverter } from "./enum-converters.js";
import { executionToProto } from "./execution-mapping.js";
import { jobSpecFromProto, jobToProto } from "./job-mapping.js";

/**
 * The server side of the mapping layer: serves `SchedulerService` from a {@link SchedulerEngine}.
 * Handlers throw `SchedulerError`s; the router's `translateErrors` interceptor turns them into
 * gRPC statuses with an `ErrorDetail`.
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
        };
        const page = engine.listJobs(filter, req.pageSize, req.pageToken);
        return { jobs: page.items.map(jobToProto), nextPageToken: page.nextPageToken };
      },
      listExecutions: (req) => {
        const page = engine.listExecutions(req.jobId, req.pageSize, req.pageToken);
        return { executions: page.items.map(executionToProto), nextPageToken: page.nextPageToken };
      },
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
