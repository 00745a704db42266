import type { JobCompletedEvent, OverlapPolicy } from "@k1s0/scheduler-client";
import { deferred } from "../support/deferred.js";
import type { HarnessFactory } from "./harness.js";
import { interval, MINUTE, rejection, SECOND, START, useFixture } from "./setup.js";

const at = (ms: number): Date => new Date(START.getTime() + ms);

/** triggerJob, what started each execution, and the overlap policies. */
export function triggerContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  it("runs a job now and returns the execution it started; executions and events say what started them", async () => {
    const events: JobCompletedEvent[] = [];
    f.h.onJobCompleted((e) => events.push(e));
    f.behave("mixed", ({ trigger }) => {
      if (trigger === "schedule") throw new Error("scheduled run fails");
    });
    const job = await f.h.client.createJob(interval("mixed", 10 * MINUTE, { maxRetries: 1 }));
    await f.h.advanceTime(MINUTE);
    const manual = await f.h.client.triggerJob(job.id);
    expect(manual).toMatchObject({ jobId: job.id, trigger: "manual", attempt: 1, result: "succeeded", startedAt: at(MINUTE) });
    // A manual run under skip does not move a fire it did not overlap.
    expect((await f.h.client.getJob(job.id)).nextRunAt).toEqual(at(10 * MINUTE));
    await f.h.advanceTime(10 * MINUTE);
    const executions = await f.h.client.getExecutions(job.id);
    expect(executions.map((e) => [e.trigger, e.attempt, e.result])).toEqual([
      ["manual", 1, "succeeded"],
      ["schedule", 1, "failed"],
      ["retry", 2, "succeeded"],
    ]);
    expect(executions[0]).toEqual(manual);
    expect(events.map((e) => [e.executionId, e.trigger])).toEqual(executions.map((e) => [e.id, e.trigger]));
    expect(f.seen.map((ctx) => ctx.trigger)).toEqual(["manual", "schedule", "retry"]);
  });

  it("runs a paused job, which stays paused", async () => {
    const job = await f.h.client.createJob(interval("paused", MINUTE));
    await f.h.client.pauseJob(job.id);
    expect(await f.h.client.triggerJob(job.id)).toMatchObject({ trigger: "manual", result: "succeeded" });
    const after = await f.h.client.getJob(job.id);
    expect(after.status).toBe("paused");
    expect(after.nextRunAt).toBeUndefined();
    await f.h.advanceTime(5 * MINUTE);
    expect(await f.h.client.getExecutions(job.id)).toHaveLength(1);
  });

  it("under skip, a manual run takes the place of the fires it overlaps", async () => {
    const gate = deferred();
    f.behave("long", ({ trigger }) => (trigger === "manual" ? gate.promise : undefined));
    const job = await f.h.client.createJob(interval("long", MINUTE, { timeoutSecs: 600 }));
    await f.h.advanceTime(30 * SECOND);
    await f.h.client.triggerJob(job.id);
    await f.h.advanceTime(2 * MINUTE); // the fires at 1 and 2 minutes find the manual run
    gate.resolve();
    await f.h.advanceTime(MINUTE);
    expect((await f.h.client.getExecutions(job.id)).map((e) => [e.trigger, e.startedAt])).toEqual([
      ["manual", at(30 * SECOND)],
      ["schedule", at(3 * MINUTE)],
    ]);
  });

  it("follows the overlap policy on a running job: allow_all starts another execution, skip and buffer_one refuse", async () => {
    for (const overlap of ["skip", "buffer_one", "allow_all"] as const) {
      f.behave(overlap, () => new Promise(() => undefined));
      const job = await f.h.client.createJob(interval(overlap, MINUTE, { overlap }));
      await f.h.advanceTime(MINUTE);
      const call = f.h.client.triggerJob(job.id);
      if (overlap === "allow_all") {
        expect(await call).toMatchObject({ trigger: "manual", result: "running" });
      } else {
        const err = await rejection(call);
        expect([err.code, err.field]).toEqual(["INVALID_STATE", "jobId"]);
        expect(err.message).toContain(overlap);
      }
      expect((await f.h.client.getJob(job.id)).status).toBe("running");
      await f.h.client.deleteJob(job.id);
    }
  });

  describe("overlap policies: an execution that runs 2.5 intervals", () => {
    /** Creates an every-minute job whose first execution runs until 3.5 minutes; returns its executions' starts. */
    async function starts(overlap: OverlapPolicy | undefined): Promise<[string, number][]> {
      const gate = deferred();
      f.behave("overlapping", () => (f.seen.length === 1 ? gate.promise : undefined));
      const job = await f.h.client.createJob(interval("overlapping", MINUTE, { timeoutSecs: 600, ...(overlap === undefined ? {} : { overlap }) }));
      await f.h.advanceTime(3 * MINUTE + 30 * SECOND);
      const running = await f.h.client.getJob(job.id);
      expect(running.status).toBe("running");
      // Only skip waits for the end of the execution to set the next fire.
      expect(running.nextRunAt).toEqual(overlap === undefined || overlap === "skip" ? undefined : at(4 * MINUTE));
      gate.resolve();
      await f.h.advanceTime(30 * SECOND);
      expect((await f.h.client.getJob(job.id)).status).toBe("pending");
      return (await f.h.client.getExecutions(job.id)).map((e) => [e.trigger ?? "", (e.startedAt.getTime() - START.getTime()) / SECOND]);
    }

    it("skip (the default) skips the fires that find it running", async () => {
      expect(await starts(undefined)).toEqual([
        ["schedule", 60],
        ["schedule", 240],
      ]);
    });

    it("buffer_one keeps one of them and runs it when the execution ends", async () => {
      expect(await starts("buffer_one")).toEqual([
        ["schedule", 60],
        ["schedule", 210],
        ["schedule", 240],
      ]);
    });

    it("allow_all runs every fire alongside", async () => {
      expect(await starts("allow_all")).toEqual([
        ["schedule", 60],
        ["schedule", 120],
        ["schedule", 180],
        ["schedule", 240],
      ]);
    });
  });
}
