import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { CreateJobRequestSchema } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { toSchedulerError } from "../../src/mapping/error-mapping.js";
import { useRawServer } from "./support/raw-server.js";

const NOW = Date.UTC(2040, 0, 1);
const cron = (expression: string, timezone = "") => ({ kind: { case: "cron" as const, value: { expression, timezone } } });
const every = (ms: number) => ({ kind: { case: "interval" as const, value: { interval: durationFromMs(ms) } } });
const valid = { name: "ok", schedule: every(60_000), payloadJson: "{}" };

/** [description, request fields, code, field] - sent straight to the server, bypassing the client's own checks. */
const cases: [string, MessageInitShape<typeof CreateJobRequestSchema>, string, string][] = [
  ["empty name", { name: "" }, "INVALID_ARGUMENT", "name"],
  ["blank name", { name: " \t" }, "INVALID_ARGUMENT", "name"],
  ["over-long name", { name: "x".repeat(201) }, "INVALID_ARGUMENT", "name"],
  ["unparsable cron", { schedule: cron("61 * * * *") }, "INVALID_SCHEDULE", "schedule.expression"],
  ["cron with a year", { schedule: cron("0 0 0 1 1 * 2041") }, "INVALID_SCHEDULE", "schedule.expression"],
  ["unknown time zone", { schedule: cron("0 2 * * *", "Mars/Base") }, "INVALID_SCHEDULE", "schedule.timezone"],
  ["one-shot in the past", { schedule: { kind: { case: "oneShot", value: { runAt: timestampFromMs(NOW - 3_600_000) } } } }, "INVALID_SCHEDULE", "schedule.runAt"],
  ["one-shot without a time", { schedule: { kind: { case: "oneShot", value: {} } } }, "INVALID_SCHEDULE", "schedule.runAt"],
  ["zero interval", { schedule: every(0) }, "INVALID_SCHEDULE", "schedule.intervalMs"],
  ["negative interval", { schedule: every(-1000) }, "INVALID_SCHEDULE", "schedule.intervalMs"],
  ["sub-millisecond interval", { schedule: { kind: { case: "interval", value: { interval: { seconds: 1n, nanos: 1 } } } } }, "INVALID_SCHEDULE", "schedule.intervalMs"],
  ["no schedule", { schedule: {} }, "INVALID_SCHEDULE", "schedule"],
  ["absurd maxRetries", { maxRetries: 101 }, "INVALID_ARGUMENT", "maxRetries"],
  ["zero timeoutSecs", { timeoutSecs: 0 }, "INVALID_ARGUMENT", "timeoutSecs"],
  ["absurd timeoutSecs", { timeoutSecs: 86_401 }, "INVALID_ARGUMENT", "timeoutSecs"],
  ["empty payload", { payloadJson: "" }, "INVALID_ARGUMENT", "payload"],
  ["payload not JSON", { payloadJson: "{'a':1}" }, "INVALID_ARGUMENT", "payload"],
  ["payload over 1 MiB", { payloadJson: JSON.stringify("x".repeat(1024 * 1024)) }, "INVALID_ARGUMENT", "payload"],
];

describe("the test server validates every rule again (for clients in other languages)", () => {
  const server = useRawServer(NOW);

  it.each(cases)("%s", async (_what, fields, code, field) => {
    const err = await server.raw().createJob(create(CreateJobRequestSchema, { ...valid, ...fields } as MessageInitShape<typeof CreateJobRequestSchema>)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect(toSchedulerError(err)).toMatchObject({ code, field });
    expect(await server.raw().listJobs({})).toMatchObject({ jobs: [] });
  });

  it("accepts the same request when it is valid, with the contract's defaults", async () => {
    const { job } = await server.raw().createJob(create(CreateJobRequestSchema, valid));
    expect(job).toMatchObject({ name: "ok", maxRetries: 0, timeoutSecs: 60, payloadJson: "{}" });
    await server.raw().cancelJob({ jobId: job!.id });
    const err = (await server.raw().pauseJob({ jobId: job!.id }).catch((e: unknown) => e)) as ConnectError;
    expect([err.code, toSchedulerError(err).code]).toEqual([Code.FailedPrecondition, "INVALID_STATE"]);
    const missing = (await server.raw().getJob({ jobId: "missing" }).catch((e: unknown) => e)) as ConnectError;
    expect([missing.code, toSchedulerError(missing).code]).toEqual([Code.NotFound, "JOB_NOT_FOUND"]);
  });
});
