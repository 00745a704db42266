import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionTrigger } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import { OverlapPolicy } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { CreateJobRequestSchema, EnsureJobOutcome } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { toSchedulerError } from "../../src/mapping/error-mapping.js";
import { useRawServer } from "./support/raw-server.js";

const NOW = Date.UTC(2040, 0, 1);
const every = (ms: number) => ({ kind: { case: "interval" as const, value: { interval: durationFromMs(ms) } } });
const valid = { name: "ok", schedule: every(60_000), payloadJson: "{}" };

/** The new RPCs sent straight to the server, as a client in another language would. */
describe("the test server's job management RPCs (raw protobuf requests)", () => {
  const server = useRawServer(NOW);

  async function failure(call: Promise<unknown>): Promise<{ status: Code; code: string; field: string | undefined }> {
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    const mapped = toSchedulerError(err);
    return { status: (err as ConnectError).code, code: mapped.code, field: mapped.field };
  }

  it("reads an unset overlap policy as skip, and refuses an unknown one", async () => {
    const { job } = await server.raw().createJob(create(CreateJobRequestSchema, valid));
    expect(job?.overlap).toBe(OverlapPolicy.SKIP);
    expect(await failure(server.raw().createJob(create(CreateJobRequestSchema, { ...valid, overlap: 9 as OverlapPolicy })))).toEqual({
      status: Code.InvalidArgument,
      code: "INVALID_ARGUMENT",
      field: "overlap",
    });
    await server.raw().deleteJob({ jobId: job!.id });
  });

  it("updates only the fields its mask names; refuses an unknown path and an empty mask", async () => {
    const { job } = await server.raw().createJob(create(CreateJobRequestSchema, { ...valid, maxRetries: 2, endAt: timestampFromMs(NOW + 86_400_000) }));
    const id = job!.id;
    // Values outside the mask are ignored; end_at named and unset clears it.
    const { job: updated } = await server.raw().updateJob({ jobId: id, updateMask: { paths: ["name", "end_at"] }, name: "renamed", maxRetries: 7 });
    expect(updated).toMatchObject({ name: "renamed", maxRetries: 2 });
    expect(updated?.endAt).toBeUndefined();
    expect(await failure(server.raw().updateJob({ jobId: id, updateMask: { paths: ["name", "key"] }, name: "x" }))).toEqual({
      status: Code.InvalidArgument,
      code: "INVALID_ARGUMENT",
      field: "updateMask",
    });
    expect(await failure(server.raw().updateJob({ jobId: id }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "changes" });
    expect(await failure(server.raw().updateJob({ jobId: id, updateMask: { paths: ["overlap"] }, overlap: 9 as OverlapPolicy }))).toMatchObject({ field: "overlap" });
    await server.raw().deleteJob({ jobId: id });
  });

  it("ensures by key: CREATED, UNCHANGED, UPDATED; a request without a job or a key is refused", async () => {
    const request = create(CreateJobRequestSchema, { ...valid, key: "raw-key", idempotencyKey: "ignored" });
    const first = await server.raw().ensureJob({ job: request });
    const second = await server.raw().ensureJob({ job: { ...request, idempotencyKey: "another" } });
    const third = await server.raw().ensureJob({ job: { ...request, name: "changed" } });
    expect([first.outcome, second.outcome, third.outcome]).toEqual([EnsureJobOutcome.CREATED, EnsureJobOutcome.UNCHANGED, EnsureJobOutcome.UPDATED]);
    expect(new Set([first.job?.id, second.job?.id, third.job?.id]).size).toBe(1);
    expect(await failure(server.raw().ensureJob({}))).toMatchObject({ code: "INVALID_ARGUMENT", field: "job" });
    expect(await failure(server.raw().ensureJob({ job: create(CreateJobRequestSchema, valid) }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "key" });
    const taken = await server.raw().createJob({ ...request, idempotencyKey: "" }).catch((e: unknown) => e);
    expect((taken as ConnectError).code).toBe(Code.AlreadyExists);
    expect(toSchedulerError(taken)).toMatchObject({ code: "JOB_ALREADY_EXISTS", existingJobId: first.job?.id });
    await server.raw().deleteJob({ jobId: first.job!.id });
  });

  it("returns the execution a trigger's request id started when the request is repeated", async () => {
    const { job } = await server.raw().createJob(create(CreateJobRequestSchema, { ...valid, overlap: OverlapPolicy.ALLOW_ALL }));
    const id = job!.id;
    const first = await server.raw().triggerJob({ jobId: id, requestId: "trigger-1" });
    const again = await server.raw().triggerJob({ jobId: id, requestId: "trigger-1" });
    expect(again.execution?.id).toBe(first.execution?.id);
    expect(first.execution?.trigger).toBe(ExecutionTrigger.MANUAL);
    const other = await server.raw().triggerJob({ jobId: id });
    expect(other.execution?.id).not.toBe(first.execution?.id);
    expect((await server.raw().listExecutions({ jobId: id })).executions).toHaveLength(2);
    expect(await failure(server.raw().triggerJob({ jobId: id, requestId: "with space" }))).toMatchObject({ field: "requestId" });
    const { job: another } = await server.raw().createJob(create(CreateJobRequestSchema, valid));
    expect(await failure(server.raw().triggerJob({ jobId: another!.id, requestId: "trigger-1" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "requestId" });
    await server.raw().deleteJob({ jobId: id });
    await server.raw().deleteJob({ jobId: another!.id });
  });

  it("computes upcoming fires: count 0 means 10, over 100 is refused", async () => {
    const { job } = await server.raw().createJob(create(CreateJobRequestSchema, valid));
    const { fireTimes } = await server.raw().getUpcomingFires({ jobId: job!.id });
    expect(fireTimes.map((t) => timestampMs(t) - NOW)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => n * 60_000));
    expect(await failure(server.raw().getUpcomingFires({ jobId: job!.id, count: 101 }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "count" });
    await server.raw().deleteJob({ jobId: job!.id });
    expect((await server.raw().listJobs({})).jobs).toEqual([]);
  });
});
