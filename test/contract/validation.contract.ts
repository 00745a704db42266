import { type JobRequest, SchedulerError } from "@k1s0/scheduler-client";
import type { HarnessFactory } from "./harness.js";
import { HOUR, interval, oneShot, rejection, START, useFixture } from "./setup.js";

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

/** [description, request, code, field, text the message must contain] */
type Case = [string, JobRequest, "INVALID_ARGUMENT" | "INVALID_SCHEDULE", string, string];

const base = interval("valid");
const cases: Case[] = [
  ["empty name", { ...base, name: "" }, "INVALID_ARGUMENT", "name", '""'],
  ["blank name", { ...base, name: "   " }, "INVALID_ARGUMENT", "name", '"   "'],
  ["over-long name", { ...base, name: "n".repeat(201) }, "INVALID_ARGUMENT", "name", "200"],
  ["name not a string", { ...base, name: 42 as unknown as string }, "INVALID_ARGUMENT", "name", "42"],
  ["cron that does not parse", { ...base, schedule: { type: "cron", expression: "61 * * * *" } }, "INVALID_SCHEDULE", "schedule.expression", '"61 * * * *"'],
  ["cron with too few fields", { ...base, schedule: { type: "cron", expression: "every day" } }, "INVALID_SCHEDULE", "schedule.expression", '"every day"'],
  ["cron with a year field", { ...base, schedule: { type: "cron", expression: "0 0 0 1 1 * 2041" } }, "INVALID_SCHEDULE", "schedule.expression", "6 with leading seconds"],
  ["empty cron", { ...base, schedule: { type: "cron", expression: "" } }, "INVALID_SCHEDULE", "schedule.expression", '""'],
  ["cron that never fires", { ...base, schedule: { type: "cron", expression: "0 0 30 2 *" } }, "INVALID_SCHEDULE", "schedule.expression", "never"],
  ["unknown time zone", { ...base, schedule: { type: "cron", expression: "0 2 * * *", timezone: "Mars/Olympus_Mons" } }, "INVALID_SCHEDULE", "schedule.timezone", '"Mars/Olympus_Mons"'],
  ["offset instead of a zone", { ...base, schedule: { type: "cron", expression: "0 2 * * *", timezone: "+09:00" } }, "INVALID_SCHEDULE", "schedule.timezone", '"+09:00"'],
  ["abbreviation instead of a zone", { ...base, schedule: { type: "cron", expression: "0 2 * * *", timezone: "JST" } }, "INVALID_SCHEDULE", "schedule.timezone", '"JST"'],
  ["invalid Date", oneShot("x", new Date("not a date")), "INVALID_SCHEDULE", "schedule.runAt", "Invalid Date"],
  ["runAt not a Date", oneShot("x", "2040-01-01" as unknown as Date), "INVALID_SCHEDULE", "schedule.runAt", '"2040-01-01"'],
  ["runAt in the past", oneShot("x", new Date(START.getTime() - HOUR)), "INVALID_SCHEDULE", "schedule.runAt", "past"],
  ["zero interval", interval("x", 0), "INVALID_SCHEDULE", "schedule.intervalMs", "got 0"],
  ["negative interval", interval("x", -5), "INVALID_SCHEDULE", "schedule.intervalMs", "got -5"],
  ["fractional interval", interval("x", 1.5), "INVALID_SCHEDULE", "schedule.intervalMs", "got 1.5"],
  ["infinite interval", interval("x", Infinity), "INVALID_SCHEDULE", "schedule.intervalMs", "Infinity"],
  ["NaN interval", interval("x", NaN), "INVALID_SCHEDULE", "schedule.intervalMs", "NaN"],
  ["unknown schedule type", { ...base, schedule: { type: "weekly" } as unknown as JobRequest["schedule"] }, "INVALID_SCHEDULE", "schedule.type", '"weekly"'],
  ["missing schedule", { ...base, schedule: undefined as unknown as JobRequest["schedule"] }, "INVALID_SCHEDULE", "schedule", "undefined"],
  ["negative maxRetries", { ...base, maxRetries: -1 }, "INVALID_ARGUMENT", "maxRetries", "got -1"],
  ["fractional maxRetries", { ...base, maxRetries: 0.5 }, "INVALID_ARGUMENT", "maxRetries", "got 0.5"],
  ["absurd maxRetries", { ...base, maxRetries: 1e9 }, "INVALID_ARGUMENT", "maxRetries", "1000000000"],
  ["zero timeoutSecs", { ...base, timeoutSecs: 0 }, "INVALID_ARGUMENT", "timeoutSecs", "got 0"],
  ["negative timeoutSecs", { ...base, timeoutSecs: -30 }, "INVALID_ARGUMENT", "timeoutSecs", "got -30"],
  ["fractional timeoutSecs", { ...base, timeoutSecs: 2.5 }, "INVALID_ARGUMENT", "timeoutSecs", "got 2.5"],
  ["absurd timeoutSecs", { ...base, timeoutSecs: 86_401 }, "INVALID_ARGUMENT", "timeoutSecs", "86401"],
  ["BigInt payload", { ...base, payload: { n: 10n } }, "INVALID_ARGUMENT", "payload.n", "10n"],
  ["function payload", { ...base, payload: [() => 1] }, "INVALID_ARGUMENT", "payload[0]", "function"],
  ["cyclic payload", { ...base, payload: cyclic }, "INVALID_ARGUMENT", "payload.self", "cycle"],
  ["undefined inside payload", { ...base, payload: { a: undefined } }, "INVALID_ARGUMENT", "payload.a", "undefined"],
  ["NaN inside payload", { ...base, payload: { a: NaN } }, "INVALID_ARGUMENT", "payload.a", "NaN"],
  ["Date inside payload", { ...base, payload: { at: new Date(0) } }, "INVALID_ARGUMENT", "payload.at", "Date"],
  ["payload over 1 MiB", { ...base, payload: "x".repeat(1024 * 1024) }, "INVALID_ARGUMENT", "payload", "1048576"],
  ["unknown overlap policy", { ...base, overlap: "never" as "skip" }, "INVALID_ARGUMENT", "overlap", '"never"'],
  ["key with a space", { ...base, key: "daily report" }, "INVALID_ARGUMENT", "key", '"daily report"'],
  ["window on a one-shot", oneShot("x", new Date(START.getTime() + HOUR), { endAt: new Date(START.getTime() + 2 * HOUR) }), "INVALID_SCHEDULE", "endAt", "cron and interval"],
];

/** Every validation rule, with the code, the field and the value in the message. */
export function validationContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  it.each(cases)("rejects %s", async (_what, request, code, field, shown) => {
    const err = await rejection(f.h.client.createJob(request));
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
    expect(err.message).toContain(shown);
    expect(await f.h.client.listJobs()).toEqual([]);
  });

  it("accepts the limits themselves", async () => {
    const job = await f.h.client.createJob({
      ...base,
      name: "n".repeat(200),
      maxRetries: 100,
      timeoutSecs: 86_400,
      payload: "x".repeat(1024 * 1024 - 2),
    });
    expect(job).toMatchObject({ maxRetries: 100, timeoutSecs: 86_400 });
    expect(await f.h.client.createJob(oneShot("now", START))).toMatchObject({ nextRunAt: START });
  });

  it("rejects a bad job id, filter or page size with INVALID_ARGUMENT", async () => {
    const { client } = f.h;
    const calls: [() => Promise<unknown>, string][] = [
      [() => client.getJob(""), "jobId"],
      [() => client.cancelJob(undefined as unknown as string), "jobId"],
      [() => client.listJobs({ status: "sleeping" as unknown as "pending" }), "filter.status"],
      [() => client.listJobs({ namePrefix: 7 as unknown as string }), "filter.namePrefix"],
      [() => client.listJobs({}, { pageSize: 0.5 }), "pageSize"],
      [() => client.listJobs({}, { pageSize: 1001 }), "pageSize"],
      [() => client.getJob("x", { timeoutMs: -1 }), "timeoutMs"],
    ];
    for (const [call, field] of calls) {
      const err = await rejection(call());
      expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", field]);
    }
  });

  it("registers a null payload when the request has none (the CLI's rule too)", async () => {
    const { payload: _left, ...withoutPayload } = base;
    expect((await f.h.client.createJob(withoutPayload)).payload).toBeNull();
    expect((await f.h.client.createJob({ ...base, payload: undefined })).payload).toBeNull();
  });

  it("deduplicates creates by idempotency key, and refuses a key reused for another request", async () => {
    const request = { ...base, idempotencyKey: "create-daily-report-2040-03-10" };
    const first = await f.h.client.createJob(request);
    const again = await f.h.client.createJob(request);
    expect(again).toEqual(first);
    expect(await f.h.client.listJobs()).toHaveLength(1);

    // Spelled differently, the same request: default zone written out, extra spaces, key order.
    const cronRequest = {
      name: "same",
      schedule: { type: "cron" as const, expression: "0 2 * * *" },
      payload: { a: 1, b: 2 },
      idempotencyKey: "cron-key",
    };
    const cronJob = await f.h.client.createJob(cronRequest);
    const respelled = await f.h.client.createJob({
      ...cronRequest,
      schedule: { type: "cron", expression: " 0  2 * * * ", timezone: "UTC" },
      payload: { b: 2, a: 1 },
    });
    expect(respelled.id).toBe(cronJob.id);
    const differentZone = await rejection(f.h.client.createJob({ ...cronRequest, schedule: { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" } }));
    expect(differentZone.field).toBe("idempotencyKey");
    const err = await rejection(f.h.client.createJob({ ...request, name: "something else" }));
    expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "idempotencyKey"]);
    for (const bad of ["", "x".repeat(129), "with space", "日本"]) {
      const e = await rejection(f.h.client.createJob({ ...base, idempotencyKey: bad }));
      expect([e.code, e.field]).toEqual(["INVALID_ARGUMENT", "idempotencyKey"]);
    }
    expect(await f.h.client.listJobs()).toHaveLength(2);
  });

  it("rejects an already-aborted call with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    controller.abort(reason);
    await expect(f.h.client.createJob(base, { signal: controller.signal })).rejects.toBe(reason);
    await expect(f.h.client.listJobs({}, { signal: controller.signal })).rejects.toBe(reason);
    expect(await f.h.client.listJobs()).toEqual([]);
  });
}
