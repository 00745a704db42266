import { JOB_STATUSES, type JobStatus, SchedulerError, TRANSITION_RULES } from "@k1s0/scheduler-client";
import { deferred } from "../support/deferred.js";
import type { HarnessFactory } from "./harness.js";
import { DAY, HOUR, interval, MINUTE, oneShot, rejection, SECOND, START, useFixture } from "./setup.js";

/** Creating jobs, reading them, and every status transition. */
export function lifecycleContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  describe("createJob and getJob", () => {
    it("registers a cron job pending at the next match, in UTC by default", async () => {
      const job = await f.h.client.createJob({
        name: "daily-report",
        schedule: { type: "cron", expression: "0 2 * * *" },
        payload: { report_type: "daily", tenant_id: "TENANT-001" },
        maxRetries: 3,
        timeoutSecs: 300,
      });
      expect(job).toEqual({
        id: expect.any(String),
        name: "daily-report",
        schedule: { type: "cron", expression: "0 2 * * *" },
        status: "pending",
        payload: { report_type: "daily", tenant_id: "TENANT-001" },
        maxRetries: 3,
        timeoutSecs: 300,
        createdAt: START,
        nextRunAt: new Date("2040-03-11T02:00:00Z"),
        overlap: "skip",
      });
      expect(await f.h.client.getJob(job.id)).toEqual(job);
    });

    it("evaluates cron in the given time zone", async () => {
      const job = await f.h.client.createJob({
        name: "tokyo",
        schedule: { type: "cron", expression: "0 9 * * *", timezone: "Asia/Tokyo" },
        payload: {},
      });
      expect(job.schedule).toEqual({ type: "cron", expression: "0 9 * * *", timezone: "Asia/Tokyo" });
      expect(job.nextRunAt).toEqual(new Date("2040-03-11T00:00:00Z"));
    });

    it("fires a 02:30 job on a spring-forward day at 03:00 local, then at 02:30 again", async () => {
      const job = await f.h.client.createJob({
        name: "dst",
        schedule: { type: "cron", expression: "30 2 * * *", timezone: "America/New_York" },
        payload: {},
      });
      // 2040-03-11 02:00 EST jumps to 03:00 EDT: 02:30 does not exist that day.
      expect(job.nextRunAt).toEqual(new Date("2040-03-11T07:00:00Z"));
      await f.h.advanceTime(new Date("2040-03-11T07:00:00Z").getTime() - START.getTime());
      const after = await f.h.client.getJob(job.id);
      expect(after.nextRunAt).toEqual(new Date("2040-03-12T06:30:00Z"));
      expect((await f.h.client.getExecutions(job.id)).map((e) => e.startedAt)).toEqual([new Date("2040-03-11T07:00:00Z")]);
    });

    it("registers a one-shot job pending at runAt, and an interval job one interval out", async () => {
      const runAt = new Date(START.getTime() + 5 * MINUTE);
      const shot = await f.h.client.createJob(oneShot("send-reminder", runAt, { maxRetries: 1, timeoutSecs: 30 }));
      expect(shot).toMatchObject({ status: "pending", nextRunAt: runAt, schedule: { type: "one_shot", runAt } });
      const every = await f.h.client.createJob(interval("health-sync", 10 * MINUTE));
      expect(every).toMatchObject({
        status: "pending",
        nextRunAt: new Date(START.getTime() + 10 * MINUTE),
        maxRetries: 0,
        timeoutSecs: 60,
      });
    });

    it("returns the payload exactly as given, for any JSON value", async () => {
      const payloads: unknown[] = [
        null,
        true,
        0,
        -1.5e-7,
        Number.MAX_SAFE_INTEGER,
        "",
        "日本語 \u{1F600} \"quoted\" \\",
        [],
        [1, "two", { three: [null] }],
        { nested: { deeper: { deepest: [1, 2, 3] } }, empty: {}, list: [] },
      ];
      for (const payload of payloads) {
        const job = await f.h.client.createJob({ ...interval("payload"), payload });
        expect((await f.h.client.getJob(job.id)).payload).toEqual(payload);
      }
    });

    it("does not let later changes to the caller's objects reach the job", async () => {
      const payload = { items: [1] };
      const runAt = new Date(START.getTime() + HOUR);
      const job = await f.h.client.createJob(oneShot("copy", runAt, { payload }));
      payload.items.push(2);
      runAt.setTime(0);
      const read = await f.h.client.getJob(job.id);
      expect(read.payload).toEqual({ items: [1] });
      expect(read.schedule).toEqual({ type: "one_shot", runAt: new Date(START.getTime() + HOUR) });
    });

    it("rejects an unknown job id with JOB_NOT_FOUND on every operation", async () => {
      const { client } = f.h;
      for (const call of [
        () => client.getJob("no-such-job"),
        () => client.pauseJob("no-such-job"),
        () => client.resumeJob("no-such-job"),
        () => client.cancelJob("no-such-job"),
        () => client.getExecutions("no-such-job"),
      ]) {
        const err = await rejection(call());
        expect(err).toBeInstanceOf(SchedulerError);
        expect(err.code).toBe("JOB_NOT_FOUND");
        expect(err.message).toContain("no-such-job");
      }
    });
  });

  describe("status rules", () => {
    /** Puts a fresh job into `status` and returns its id. */
    async function jobIn(status: JobStatus): Promise<string> {
      const { client } = f.h;
      switch (status) {
        case "pending":
          return (await client.createJob(interval("pending"))).id;
        case "running": {
          const gate = deferred();
          f.behave("running", () => gate.promise);
          const job = await client.createJob(interval("running", MINUTE));
          await f.h.advanceTime(MINUTE);
          return job.id;
        }
        case "paused": {
          const job = await client.createJob(interval("paused"));
          await client.pauseJob(job.id);
          return job.id;
        }
        case "completed": {
          const job = await client.createJob(oneShot("completed", new Date(f.h.now().getTime() + SECOND)));
          await f.h.advanceTime(SECOND);
          return job.id;
        }
        case "failed": {
          f.behave("failed", () => {
            throw new Error("boom");
          });
          const job = await client.createJob(oneShot("failed", new Date(f.h.now().getTime() + SECOND)));
          await f.h.advanceTime(SECOND);
          return job.id;
        }
        case "cancelled": {
          const job = await client.createJob(interval("cancelled"));
          await client.cancelJob(job.id);
          return job.id;
        }
      }
    }

    for (const status of JOB_STATUSES) {
      for (const operation of ["pause", "resume", "cancel"] as const) {
        const rule = TRANSITION_RULES[status][operation] as { to: JobStatus } | "noop" | "invalid";
        const expected = rule === "noop" ? `no-op` : rule === "invalid" ? "INVALID_STATE" : `-> ${rule.to}`;
        it(`${operation} of a ${status} job: ${expected}`, async () => {
          const id = await jobIn(status);
          expect((await f.h.client.getJob(id)).status).toBe(status);
          const call = f.h.client[`${operation}Job`](id);
          if (rule === "invalid") {
            const err = await rejection(call);
            expect(err.code).toBe("INVALID_STATE");
            expect(err.message).toContain(status);
            expect((await f.h.client.getJob(id)).status).toBe(status);
          } else {
            await call;
            expect((await f.h.client.getJob(id)).status).toBe(rule === "noop" ? status : rule.to);
          }
        });
      }
    }

    /** Calls `operation` (update, trigger or delete) on the job: the new operations of 0.2.0. */
    async function apply(operation: "update" | "trigger" | "delete", id: string): Promise<unknown> {
      if (operation === "update") return f.h.client.updateJob(id, { name: "renamed" });
      if (operation === "trigger") return f.h.client.triggerJob(id);
      return f.h.client.deleteJob(id);
    }

    for (const status of JOB_STATUSES) {
      for (const operation of ["update", "trigger", "delete"] as const) {
        const rule = TRANSITION_RULES[status][operation];
        const expected = typeof rule === "object" ? `-> ${rule.to}` : rule === "invalid" ? "INVALID_STATE" : rule;
        it(`${operation} of a ${status} job: ${expected}`, async () => {
          const id = await jobIn(status);
          // A triggered execution stays running, so that the status while it runs shows.
          if (operation === "trigger") f.behave(status, () => new Promise(() => undefined));
          const call = apply(operation, id);
          if (rule === "invalid" || rule === "overlap") {
            // Every fixture job has the default overlap policy, skip: a running job is not triggered.
            const err = await rejection(call);
            expect([err.code, err.field]).toEqual(["INVALID_STATE", "jobId"]);
            expect(err.message).toContain(rule === "overlap" ? "skip" : status);
            expect(await f.h.client.getJob(id)).toMatchObject({ status, name: status });
          } else if (rule === "deleted") {
            await call;
            expect((await rejection(f.h.client.getJob(id))).code).toBe("JOB_NOT_FOUND");
          } else if (operation === "update") {
            expect(await call).toMatchObject({ id, status: (rule as { to: JobStatus }).to, name: "renamed" });
          } else {
            expect(await call).toMatchObject({ jobId: id, trigger: "manual", attempt: 1, result: "running" });
            expect((await f.h.client.getJob(id)).status).toBe((rule as { to: JobStatus }).to);
          }
        });
      }
    }

    it("clears nextRunAt on pause and cancel; terminal jobs have none", async () => {
      for (const status of ["paused", "completed", "failed", "cancelled"] as const) {
        const job = await f.h.client.getJob(await jobIn(status));
        expect(job.nextRunAt).toBeUndefined();
      }
    });

    it("lets a running execution finish after pause, and fires nothing new while paused", async () => {
      const gate = deferred();
      f.behave("slow", () => gate.promise);
      const job = await f.h.client.createJob(interval("slow", MINUTE));
      await f.h.advanceTime(MINUTE);
      await f.h.client.pauseJob(job.id);
      gate.resolve();
      await f.h.advanceTime(10 * MINUTE);
      const executions = await f.h.client.getExecutions(job.id);
      expect(executions.map((e) => e.result)).toEqual(["succeeded"]);
      expect(await f.h.client.getJob(job.id)).toMatchObject({ status: "paused" });
      expect((await f.h.client.getJob(job.id)).nextRunAt).toBeUndefined();
    });

    it("resumes with nextRunAt recomputed from now, skipping fires missed while paused", async () => {
      const job = await f.h.client.createJob(interval("skipper", 10 * MINUTE));
      await f.h.client.pauseJob(job.id);
      await f.h.advanceTime(35 * MINUTE);
      await f.h.client.resumeJob(job.id);
      const resumed = await f.h.client.getJob(job.id);
      expect(resumed.status).toBe("pending");
      // Slots stay anchored at creation: the next one after now (35 min) is 40 min.
      expect(resumed.nextRunAt).toEqual(new Date(START.getTime() + 40 * MINUTE));
      await f.h.advanceTime(5 * MINUTE);
      expect(await f.h.client.getExecutions(job.id)).toHaveLength(1);
    });

    it("resumes a cron job at its next match after now", async () => {
      const job = await f.h.client.createJob({ name: "c", schedule: { type: "cron", expression: "0 * * * *" }, payload: 1 });
      await f.h.client.pauseJob(job.id);
      await f.h.advanceTime(3 * HOUR + 30 * MINUTE);
      await f.h.client.resumeJob(job.id);
      expect((await f.h.client.getJob(job.id)).nextRunAt).toEqual(new Date("2040-03-10T16:00:00Z"));
      expect(await f.h.client.getExecutions(job.id)).toEqual([]);
    });

    it("runs a one-shot resumed after its time at once instead of dropping it", async () => {
      const job = await f.h.client.createJob(oneShot("late", new Date(START.getTime() + MINUTE)));
      await f.h.client.pauseJob(job.id);
      await f.h.advanceTime(HOUR);
      await f.h.client.resumeJob(job.id);
      expect((await f.h.client.getJob(job.id)).nextRunAt).toEqual(new Date(START.getTime() + HOUR));
      await f.h.advanceTime(0);
      expect(await f.h.client.getJob(job.id)).toMatchObject({ status: "completed" });
    });

    it("completes a one-shot whose execution succeeds while it is paused", async () => {
      const gate = deferred();
      f.behave("paused-shot", () => gate.promise);
      const job = await f.h.client.createJob(oneShot("paused-shot", new Date(START.getTime() + MINUTE)));
      await f.h.advanceTime(MINUTE);
      await f.h.client.pauseJob(job.id);
      gate.resolve();
      await f.h.advanceTime(SECOND);
      expect(await f.h.client.getJob(job.id)).toMatchObject({ status: "completed" });
    });

    it("returns to running when resumed while the execution it was paused during still runs", async () => {
      const gate = deferred();
      f.behave("r", () => gate.promise);
      const job = await f.h.client.createJob(interval("r", MINUTE));
      await f.h.advanceTime(MINUTE);
      await f.h.client.pauseJob(job.id);
      await f.h.client.resumeJob(job.id);
      expect((await f.h.client.getJob(job.id)).status).toBe("running");
      gate.resolve();
      await f.h.advanceTime(SECOND);
      expect(await f.h.client.getJob(job.id)).toMatchObject({
        status: "pending",
        nextRunAt: new Date(START.getTime() + 2 * MINUTE),
      });
    });

    it("aborts the signal of a running execution when its job is cancelled", async () => {
      f.behave("cancel-me", ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))));
      const job = await f.h.client.createJob(interval("cancel-me", MINUTE));
      await f.h.advanceTime(MINUTE);
      await f.h.client.cancelJob(job.id);
      await f.h.advanceTime(DAY);
      const executions = await f.h.client.getExecutions(job.id);
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({ result: "failed", error: expect.stringContaining("cancelled") });
      expect((await f.h.client.getJob(job.id)).status).toBe("cancelled");
    });
  });
}
