import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ExecutionResult as ExecutionResultPb, JobExecutionSchema } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import { JobSchema, JobStatus as JobStatusPb, ScheduleSchema } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { CreateJobRequestSchema } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { EXECUTION_RESULTS, JOB_STATUSES, type JobCompletedEvent, type JobExecution, type Schedule } from "@k1s0/scheduler-client";
import { executionResultConverter, jobStatusConverter } from "../../src/mapping/enum-converters.js";
import { eventFromProto, eventToProto, executionFromProto, executionToProto } from "../../src/mapping/execution-mapping.js";
import { jobFromProto, jobSpecFromProto, jobSpecToProto, jobToProto, scheduleFromProto, scheduleToProto } from "../../src/mapping/job-mapping.js";
import { type StoredJob, toJob } from "../../src/types/job-spec.js";

const schedules: Schedule[] = [
  { type: "cron", expression: "0 2 * * *" },
  { type: "cron", expression: "*/5 * * * * *", timezone: "Asia/Tokyo" },
  { type: "one_shot", runAt: new Date("2031-01-02T03:04:05.678Z") },
  { type: "interval", intervalMs: 600_000 },
  { type: "interval", intervalMs: 1 },
];

describe("schedule mapping", () => {
  it.each(schedules)("round-trips %j", (schedule) => {
    expect(scheduleFromProto(scheduleToProto(schedule))).toEqual(schedule);
  });

  it("rejects wire schedules a domain schedule cannot hold, as INVALID_SCHEDULE", () => {
    const bad = [
      [undefined, "schedule"],
      [create(ScheduleSchema, {}), "schedule"],
      [create(ScheduleSchema, { kind: { case: "oneShot", value: {} } }), "schedule.runAt"],
      [create(ScheduleSchema, { kind: { case: "interval", value: {} } }), "schedule.intervalMs"],
      [create(ScheduleSchema, { kind: { case: "interval", value: { interval: { seconds: 1n, nanos: 500 } } } }), "schedule.intervalMs"],
    ] as const;
    for (const [pb, field] of bad) {
      expect(() => scheduleFromProto(pb)).toThrow(expect.objectContaining({ code: "INVALID_SCHEDULE", field }));
    }
  });
});

describe("job mapping", () => {
  const stored: StoredJob = {
    id: "job-1",
    name: "daily-report",
    schedule: { type: "cron", expression: "0 2 * * *", timezone: "Europe/Berlin" },
    status: "paused",
    payloadJson: '{"big":12345678901234567890,"k":[1,2]}',
    maxRetries: 3,
    timeoutSecs: 300,
    createdAt: new Date("2030-01-01T00:00:00.123Z"),
    overlap: "buffer_one",
  };

  it("round-trips a job, keeping the payload text byte for byte on the wire", () => {
    const pb = jobToProto(stored);
    expect(pb.payloadJson).toBe(stored.payloadJson);
    expect(jobFromProto(pb)).toEqual(toJob(stored));
    const withNext = { ...stored, status: "pending" as const, nextRunAt: new Date("2030-01-02T01:00:00Z") };
    expect(jobFromProto(jobToProto(withNext))).toEqual(toJob(withNext));
    const withPolicies = { ...stored, key: "daily/T-1", overlap: "allow_all" as const, startAt: new Date("2030-01-01T00:00:00Z"), endAt: new Date("2030-02-01T00:00:00Z") };
    expect(jobFromProto(jobToProto(withPolicies))).toEqual(toJob(withPolicies));
    // A server that predates the overlap field sends OVERLAP_POLICY_UNSPECIFIED: skip.
    expect(jobFromProto({ ...jobToProto(stored), overlap: 0 }).overlap).toBe("skip");
  });

  it("round-trips a job spec through CreateJobRequest", () => {
    for (const schedule of schedules) {
      const spec = { name: "n", schedule, payloadJson: "[1]", maxRetries: 2, timeoutSecs: 9, overlap: "skip" as const };
      expect(jobSpecFromProto(jobSpecToProto(spec))).toEqual(spec);
    }
  });

  it("applies the contract's defaults to unset optional fields", () => {
    const pb = create(CreateJobRequestSchema, { name: "n", schedule: scheduleToProto(schedules[3]), payloadJson: "1" });
    expect(jobSpecFromProto(pb)).toMatchObject({ maxRetries: 0, timeoutSecs: 60 });
  });

  it("reports malformed server responses as SERVER_ERROR", () => {
    expect(() => jobFromProto(undefined)).toThrow(expect.objectContaining({ code: "SERVER_ERROR" }));
    const badPayload = create(JobSchema, { ...jobToProto(stored), payloadJson: "{nope" });
    expect(() => jobFromProto(badPayload)).toThrow(expect.objectContaining({ code: "SERVER_ERROR" }));
    const noSchedule = create(JobSchema, { ...jobToProto(stored), schedule: create(ScheduleSchema, {}) });
    expect(() => jobFromProto(noSchedule)).toThrow(expect.objectContaining({ code: "SERVER_ERROR" }));
    const badStatus = create(JobSchema, { ...jobToProto(stored), status: 99 as JobStatusPb });
    expect(() => jobFromProto(badStatus)).toThrow(expect.objectContaining({ code: "SERVER_ERROR" }));
  });

  it("reads a job without createdAt as the epoch rather than failing", () => {
    const pb = create(JobSchema, { id: "x", name: "x", schedule: scheduleToProto(schedules[0]), status: JobStatusPb.PENDING, payloadJson: "null" });
    expect(jobFromProto(pb).createdAt).toEqual(new Date(0));
  });
});

describe("execution and event mapping", () => {
  const executions: JobExecution[] = [
    { id: "e1", jobId: "j", startedAt: new Date(1_000), result: "running", attempt: 1 },
    { id: "e2", jobId: "j", startedAt: new Date(1_000), finishedAt: new Date(2_000), result: "failed", error: "boom", attempt: 2 },
  ];
  it.each(executions)("round-trips execution %#", (e) => {
    expect(executionFromProto(executionToProto(e))).toEqual(e);
  });

  it("reads an execution without startedAt as the epoch", () => {
    const pb = create(JobExecutionSchema, { id: "e", jobId: "j", result: ExecutionResultPb.SUCCEEDED, attempt: 1 });
    expect(executionFromProto(pb).startedAt).toEqual(new Date(0));
  });

  const events: JobCompletedEvent[] = [
    { jobId: "j", executionId: "e", completedAt: new Date(5_000), result: "succeeded", jobName: "n", attempt: 1 },
    { jobId: "j", executionId: "e", completedAt: new Date(5_000), result: "timed_out", jobName: "n", attempt: 3, error: "slow" },
  ];
  it.each(events)("round-trips event %#", (e) => {
    expect(eventFromProto(eventToProto(e))).toEqual(e);
  });

  it("reads an event without completedAt as the epoch", () => {
    const pb = eventToProto(events[0]);
    pb.completedAt = undefined;
    expect(eventFromProto(pb).completedAt).toEqual(new Date(0));
  });
});

describe("enum converters", () => {
  it("convert every status and result both ways, and refuse unknown wire values", () => {
    for (const s of JOB_STATUSES) expect(jobStatusConverter.fromProto(jobStatusConverter.toProto(s))).toBe(s);
    for (const r of EXECUTION_RESULTS) expect(executionResultConverter.fromProto(executionResultConverter.toProto(r))).toBe(r);
    expect(() => jobStatusConverter.fromProto(JobStatusPb.UNSPECIFIED)).toThrow(/unknown job status/);
    expect(() => executionResultConverter.fromProto(ExecutionResultPb.UNSPECIFIED)).toThrow(/unknown execution result/);
    expect(durationFromMs(1).nanos).toBe(1_000_000);
  });
});
