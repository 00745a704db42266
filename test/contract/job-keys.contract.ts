import { type JobRequest, SchedulerError } from "@k1s0/scheduler-client";
import { deferred } from "../support/deferred.js";
import type { HarnessFactory } from "./harness.js";
import { HOUR, interval, MINUTE, oneShot, rejection, SECOND, START, useFixture } from "./setup.js";

const keyed = (key: string, extra: Partial<JobRequest> = {}): JobRequest => ({ ...interval("health-sync", 10 * MINUTE), key, ...extra });

/** Unique job keys, ensureJob and deleteJob. */
export function jobKeysContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  describe("unique keys", () => {
    it("stores the key, refuses a second job with it (JOB_ALREADY_EXISTS naming the holder) and filters by it", async () => {
      const job = await f.h.client.createJob(keyed("health-sync"));
      expect(job).toMatchObject({ key: "health-sync", overlap: "skip" });
      expect(await f.h.client.getJob(job.id)).toEqual(job);
      const err = await rejection(f.h.client.createJob(keyed("health-sync", { name: "another" })));
      expect(err).toBeInstanceOf(SchedulerError);
      expect([err.code, err.field, err.existingJobId]).toEqual(["JOB_ALREADY_EXISTS", "key", job.id]);
      expect(err.message).toContain(job.id);
      expect(err.message).toContain('"health-sync"');
      await f.h.client.createJob(keyed("health-sync-2"));
      await f.h.client.createJob(interval("no-key"));
      expect((await f.h.client.listJobs({ key: "health-sync" })).map((j) => j.id)).toEqual([job.id]);
      expect(await f.h.client.listJobs({ key: "health" })).toEqual([]);
      expect(await f.h.client.listJobs({ key: "health-sync", status: "paused" })).toEqual([]);
      expect(await f.h.client.listJobs()).toHaveLength(3);
    });

    it("returns the original job to a retried create with its idempotency key, not JOB_ALREADY_EXISTS", async () => {
      const request = keyed("retried", { idempotencyKey: "create-1" });
      const first = await f.h.client.createJob(request);
      expect(await f.h.client.createJob(request)).toEqual(first);
    });

    it("keeps the key of a cancelled job, and frees it when the job is deleted", async () => {
      const job = await f.h.client.createJob(keyed("reused"));
      await f.h.client.cancelJob(job.id);
      expect((await rejection(f.h.client.createJob(keyed("reused")))).existingJobId).toBe(job.id);
      await f.h.client.deleteJob(job.id);
      const again = await f.h.client.createJob(keyed("reused"));
      expect(again.id).not.toBe(job.id);
    });

    it("rejects a malformed key with INVALID_ARGUMENT naming the field and the value", async () => {
      for (const [bad, field, call] of [
        ["", "key", (k: string) => f.h.client.createJob(keyed(k))],
        ["x".repeat(129), "key", (k: string) => f.h.client.createJob(keyed(k))],
        ["with space", "key", (k: string) => f.h.client.ensureJob(keyed(k))],
        ["日本", "filter.key", (k: string) => f.h.client.listJobs({ key: k })],
      ] as const) {
        const err = await rejection(call(bad));
        expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", field]);
        expect(err.message).toContain(`${field} must be 1 to 128 printable ASCII characters, got "${bad.slice(0, 10)}`);
      }
      expect(await f.h.client.listJobs()).toEqual([]);
    });
  });

  describe("ensureJob", () => {
    it("creates, then finds the job unchanged (however the request is spelled), then updates it", async () => {
      const request: JobRequest = { ...keyed("report/T-1"), payload: { a: 1, b: 2 } };
      const created = await f.h.client.ensureJob(request);
      expect(created.outcome).toBe("created");
      expect(created.job).toMatchObject({ key: "report/T-1", status: "pending", nextRunAt: new Date(START.getTime() + 10 * MINUTE) });

      const again = await f.h.client.ensureJob({ ...request, payload: { b: 2, a: 1 }, overlap: "skip" });
      expect(again).toEqual({ job: created.job, outcome: "unchanged" });

      await f.h.advanceTime(5 * MINUTE);
      const updated = await f.h.client.ensureJob({ ...request, schedule: { type: "cron", expression: "0 * * * *" }, maxRetries: 2 });
      expect(updated.outcome).toBe("updated");
      expect(updated.job).toMatchObject({
        id: created.job.id,
        schedule: { type: "cron", expression: "0 * * * *" },
        maxRetries: 2,
        nextRunAt: new Date("2040-03-10T13:00:00Z"),
        createdAt: START,
      });
      expect(await f.h.client.getJob(created.job.id)).toEqual(updated.job);
      expect(await f.h.client.listJobs()).toHaveLength(1);
    });

    it("ends with one job when replicas call it at once", async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => f.h.client.ensureJob(keyed("replicated"))));
      expect(results.map((r) => r.outcome).sort()).toEqual(["created", "unchanged", "unchanged", "unchanged", "unchanged", "unchanged"]);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect(await f.h.client.listJobs({ key: "replicated" })).toHaveLength(1);
    });

    it("removes a window the request leaves out, and matches a one-shot that has already run", async () => {
      const withWindow = await f.h.client.ensureJob(keyed("windowed", { endAt: new Date(START.getTime() + 2 * HOUR) }));
      expect(withWindow.job.endAt).toEqual(new Date(START.getTime() + 2 * HOUR));
      const without = await f.h.client.ensureJob(keyed("windowed"));
      expect(without.outcome).toBe("updated");
      expect(without.job.endAt).toBeUndefined();

      const shot = oneShot("once", new Date(START.getTime() + SECOND), { key: "once" });
      await f.h.client.ensureJob(shot);
      await f.h.advanceTime(HOUR);
      const after = await f.h.client.ensureJob(shot); // a restart after the fire
      expect([after.outcome, after.job.status]).toEqual(["unchanged", "completed"]);
      // Changed after it ended: a completed job is not updated.
      const err = await rejection(f.h.client.ensureJob({ ...shot, name: "renamed" }));
      expect(err.code).toBe("INVALID_STATE");
      // A one-shot in the past is new only when no job has the key.
      const past = await rejection(f.h.client.ensureJob({ ...shot, key: "new-once" }));
      expect([past.code, past.field]).toEqual(["INVALID_SCHEDULE", "schedule.runAt"]);
    });

    it("needs a key, and otherwise validates as createJob does", async () => {
      const noKey = await rejection(f.h.client.ensureJob(interval("x")));
      expect([noKey.code, noKey.field, noKey.message]).toEqual(["INVALID_ARGUMENT", "key", "key is required by ensureJob, got undefined"]);
      const badCron = await rejection(f.h.client.ensureJob(keyed("k", { schedule: { type: "cron", expression: "61 * * * *" } })));
      expect([badCron.code, badCron.field]).toEqual(["INVALID_SCHEDULE", "schedule.expression"]);
      expect(await f.h.client.listJobs()).toEqual([]);
    });
  });

  describe("deleteJob", () => {
    it("is the clean-up that never needs a catch: a completed, a cancelled and a pending job, each deleted twice", async () => {
      const done = await f.h.client.createJob(oneShot("cleanup-done", new Date(START.getTime() + SECOND)));
      const cancelled = await f.h.client.createJob(interval("cleanup-cancelled", MINUTE));
      const pending = await f.h.client.createJob(interval("cleanup-pending", MINUTE));
      await f.h.advanceTime(2 * SECOND);
      await f.h.client.cancelJob(cancelled.id);
      expect((await f.h.client.getJob(done.id)).status).toBe("completed");
      // cancelJob would throw INVALID_STATE on the completed one; deleteJob takes every state.
      expect((await rejection(f.h.client.cancelJob(done.id))).code).toBe("INVALID_STATE");
      for (const job of [done, cancelled, pending]) {
        await f.h.client.deleteJob(job.id);
        await f.h.client.deleteJob(job.id);
      }
      expect(await f.h.client.listJobs()).toEqual([]);
    });

    it("removes the job and its history; later calls get JOB_NOT_FOUND, deleting again resolves", async () => {
      const job = await f.h.client.createJob(interval("doomed", MINUTE));
      const kept = await f.h.client.createJob(interval("kept", MINUTE));
      await f.h.advanceTime(3 * MINUTE);
      expect(await f.h.client.getExecutions(job.id)).toHaveLength(3);
      await f.h.client.deleteJob(job.id);
      for (const call of [
        () => f.h.client.getJob(job.id),
        () => f.h.client.getExecutions(job.id),
        () => f.h.client.pauseJob(job.id),
        () => f.h.client.updateJob(job.id, { name: "x" }),
        () => f.h.client.triggerJob(job.id),
        () => f.h.client.getUpcomingFires(job.id),
      ]) {
        expect((await rejection(call())).code).toBe("JOB_NOT_FOUND");
      }
      await f.h.client.deleteJob(job.id); // a retry of the delete
      expect((await f.h.client.listJobs()).map((j) => j.id)).toEqual([kept.id]);
      await f.h.advanceTime(2 * MINUTE);
      expect(await f.h.client.getExecutions(kept.id)).toHaveLength(5);
      const unknown = await rejection(f.h.client.deleteJob("no-such-job"));
      expect([unknown.code, unknown.field]).toEqual(["JOB_NOT_FOUND", "jobId"]);
    });

    it("keeps a listing's pages consistent when jobs are deleted between them", async () => {
      const jobs = [];
      for (let i = 0; i < 6; i++) jobs.push(await f.h.client.createJob(interval(`page-${i}`)));
      const seen: string[] = [];
      for await (const job of f.h.client.iterateJobs({}, { pageSize: 2 })) {
        seen.push(job.name);
        // After the first page: delete the job the next page would start with, and one already seen.
        if (seen.length === 2) {
          await f.h.client.deleteJob(jobs[2].id);
          await f.h.client.deleteJob(jobs[0].id);
        }
      }
      expect(seen).toEqual(["page-0", "page-1", "page-3", "page-4", "page-5"]);
    });

    it("aborts a running execution of the job it deletes", async () => {
      const aborted = deferred<unknown>();
      f.behave("busy", ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => {
        aborted.resolve(signal.reason);
        reject(signal.reason);
      })));
      const job = await f.h.client.createJob(interval("busy", MINUTE));
      await f.h.advanceTime(MINUTE);
      await f.h.client.deleteJob(job.id);
      expect(String(await aborted.promise)).toContain("deleted");
      await f.h.advanceTime(HOUR);
      expect(f.seen).toHaveLength(1);
    });
  });
}
