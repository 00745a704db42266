import type { JobChanges } from "@k1s0/scheduler-client";
import { deferred } from "../support/deferred.js";
import type { HarnessFactory } from "./harness.js";
import { HOUR, interval, MINUTE, oneShot, rejection, SECOND, START, useFixture } from "./setup.js";

/** [description, changes, code, field, text the message must contain] */
type Case = [string, JobChanges, "INVALID_ARGUMENT" | "INVALID_SCHEDULE", string, string];

const cases: Case[] = [
  ["empty name", { name: "" }, "INVALID_ARGUMENT", "name", '""'],
  ["over-long name", { name: "n".repeat(201) }, "INVALID_ARGUMENT", "name", "200"],
  ["cron that does not parse", { schedule: { type: "cron", expression: "61 * * * *" } }, "INVALID_SCHEDULE", "schedule.expression", '"61 * * * *"'],
  ["unknown time zone", { schedule: { type: "cron", expression: "0 2 * * *", timezone: "Mars/Base" } }, "INVALID_SCHEDULE", "schedule.timezone", '"Mars/Base"'],
  ["runAt in the past", { schedule: { type: "one_shot", runAt: new Date(START.getTime() - HOUR) } }, "INVALID_SCHEDULE", "schedule.runAt", "past"],
  ["zero interval", { schedule: { type: "interval", intervalMs: 0 } }, "INVALID_SCHEDULE", "schedule.intervalMs", "got 0"],
  ["negative maxRetries", { maxRetries: -1 }, "INVALID_ARGUMENT", "maxRetries", "got -1"],
  ["zero timeoutSecs", { timeoutSecs: 0 }, "INVALID_ARGUMENT", "timeoutSecs", "got 0"],
  ["BigInt payload", { payload: { n: 10n } }, "INVALID_ARGUMENT", "payload.n", "10n"],
  ["unknown overlap policy", { overlap: "sometimes" as "skip" }, "INVALID_ARGUMENT", "overlap", '"sometimes"'],
  ["invalid startAt", { startAt: new Date(NaN) }, "INVALID_SCHEDULE", "startAt", "Invalid Date"],
  ["endAt before startAt", { startAt: new Date(START.getTime() + 2 * HOUR), endAt: new Date(START.getTime() + HOUR) }, "INVALID_SCHEDULE", "endAt", "after startAt"],
  ["nothing to change", {}, "INVALID_ARGUMENT", "changes", "at least one field"],
];

/** updateJob: field by field, with the next fire recomputed and running executions left alone. */
export function updateContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  it("changes only the given fields and returns the job", async () => {
    const job = await f.h.client.createJob(interval("sync", 10 * MINUTE, { maxRetries: 1, key: "sync" }));
    const updated = await f.h.client.updateJob(job.id, { name: "sync-v2", payload: { v: 2 }, maxRetries: 3, timeoutSecs: 120, overlap: "allow_all" });
    expect(updated).toEqual({ ...job, name: "sync-v2", payload: { v: 2 }, maxRetries: 3, timeoutSecs: 120, overlap: "allow_all" });
    expect(await f.h.client.getJob(job.id)).toEqual(updated);
    expect(await f.h.client.updateJob(job.id, { payload: null })).toMatchObject({ payload: null, name: "sync-v2" });
  });

  it("recomputes the next fire from the new schedule; a new interval counts from the update", async () => {
    const job = await f.h.client.createJob(interval("every", 10 * MINUTE));
    await f.h.advanceTime(3 * MINUTE);
    const hourly = await f.h.client.updateJob(job.id, { schedule: { type: "cron", expression: "30 * * * *" } });
    expect(hourly.nextRunAt).toEqual(new Date("2040-03-10T12:30:00Z"));
    const fast = await f.h.client.updateJob(job.id, { schedule: { type: "interval", intervalMs: 5 * MINUTE } });
    expect(fast.nextRunAt).toEqual(new Date(START.getTime() + 8 * MINUTE));
    const once = await f.h.client.updateJob(job.id, { schedule: { type: "one_shot", runAt: new Date(START.getTime() + HOUR) } });
    expect(once).toMatchObject({ status: "pending", nextRunAt: new Date(START.getTime() + HOUR) });
    await f.h.advanceTime(HOUR);
    expect((await f.h.client.getExecutions(job.id)).map((e) => e.startedAt)).toEqual([new Date(START.getTime() + HOUR)]);
    expect((await f.h.client.getJob(job.id)).status).toBe("completed");
  });

  it("leaves a running execution alone: it keeps the job it started with, the next one gets the update", async () => {
    const gate = deferred();
    f.behave("slow", ({ attempt }) => (attempt === 1 && f.seen.length === 1 ? gate.promise : undefined));
    const job = await f.h.client.createJob(interval("slow", MINUTE, { payload: { v: 1 }, timeoutSecs: 600 }));
    await f.h.advanceTime(MINUTE);
    const updated = await f.h.client.updateJob(job.id, { payload: { v: 2 }, timeoutSecs: 30 });
    expect(updated).toMatchObject({ status: "running", payload: { v: 2 } });
    expect(updated.nextRunAt).toBeUndefined(); // skip: computed when the execution ends
    await f.h.advanceTime(2 * MINUTE); // past the new timeout: the running execution keeps its own
    expect((await f.h.client.getExecutions(job.id)).map((e) => e.result)).toEqual(["running"]);
    gate.resolve();
    await f.h.advanceTime(MINUTE);
    expect(f.seen.map((ctx) => ctx.job.payload)).toEqual([{ v: 1 }, { v: 2 }]);
    expect((await f.h.client.getExecutions(job.id)).map((e) => e.result)).toEqual(["succeeded", "succeeded"]);
  });

  it("updates a paused job without firing it; resume uses the new schedule", async () => {
    const job = await f.h.client.createJob(interval("paused", 10 * MINUTE));
    await f.h.client.pauseJob(job.id);
    const updated = await f.h.client.updateJob(job.id, { schedule: { type: "cron", expression: "0 15 * * *" } });
    expect(updated).toMatchObject({ status: "paused" });
    expect(updated.nextRunAt).toBeUndefined();
    await f.h.client.resumeJob(job.id);
    expect((await f.h.client.getJob(job.id)).nextRunAt).toEqual(new Date("2040-03-10T15:00:00Z"));
  });

  it("renames a one-shot whose time has passed while it waits for a retry", async () => {
    f.behave("flaky", ({ attempt }) => {
      if (attempt === 1) throw new Error("first");
    });
    const job = await f.h.client.createJob(oneShot("flaky", new Date(START.getTime() + SECOND), { maxRetries: 1 }));
    await f.h.advanceTime(SECOND);
    const renamed = await f.h.client.updateJob(job.id, { name: "flaky-renamed" });
    expect(renamed).toMatchObject({ status: "pending", nextRunAt: new Date(START.getTime() + 2 * SECOND) });
  });

  it.each(cases)("rejects %s like createJob, and changes nothing", async (_what, changes, code, field, shown) => {
    const job = await f.h.client.createJob(interval("valid"));
    const err = await rejection(f.h.client.updateJob(job.id, changes));
    expect([err.code, err.field]).toEqual([code, field]);
    expect(err.message).toContain(field);
    expect(err.message).toContain(shown);
    expect(await f.h.client.getJob(job.id)).toEqual(job);
  });

  it("rejects a window on a one-shot, and a window that leaves no fire", async () => {
    const shot = await f.h.client.createJob(oneShot("shot", new Date(START.getTime() + HOUR)));
    const onShot = await rejection(f.h.client.updateJob(shot.id, { endAt: new Date(START.getTime() + 2 * HOUR) }));
    expect([onShot.code, onShot.field]).toEqual(["INVALID_SCHEDULE", "endAt"]);
    const daily = await f.h.client.createJob({ name: "daily", schedule: { type: "cron", expression: "0 2 * * *" }, payload: null });
    const noFire = await rejection(f.h.client.updateJob(daily.id, { endAt: new Date(START.getTime() + HOUR) }));
    expect([noFire.code, noFire.field, noFire.message]).toEqual(["INVALID_SCHEDULE", "endAt", expect.stringContaining("leaves no fire")]);
  });
}
