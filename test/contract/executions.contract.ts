import type { JobCompletedEvent } from "@k1s0/scheduler-client";
import type { HarnessFactory } from "./harness.js";
import { HOUR, interval, MINUTE, oneShot, SECOND, START, useFixture } from "./setup.js";

/** Executions: results, retries with backoff, timeouts, history, completion events. */
export function executionsContract(factory: HarnessFactory): void {
  const f = useFixture(factory, { executionHistoryLimit: 5 });

  it("runs an interval job every interval and returns it to pending with the next nextRunAt", async () => {
    const job = await f.h.client.createJob(interval("tick", MINUTE));
    await f.h.advanceTime(3 * MINUTE);
    const executions = await f.h.client.getExecutions(job.id);
    expect(executions.map((e) => [e.startedAt, e.finishedAt, e.result, e.attempt, e.jobId])).toEqual(
      [1, 2, 3].map((n) => {
        const at = new Date(START.getTime() + n * MINUTE);
        return [at, at, "succeeded", 1, job.id];
      }),
    );
    expect(executions.every((e) => e.error === undefined)).toBe(true);
    expect(new Set(executions.map((e) => e.id)).size).toBe(3);
    expect(await f.h.client.getJob(job.id)).toMatchObject({
      status: "pending",
      nextRunAt: new Date(START.getTime() + 4 * MINUTE),
    });
  });

  it("hands the executor the job, the execution id, the attempt and a live signal", async () => {
    const job = await f.h.client.createJob(interval("ctx", MINUTE));
    await f.h.advanceTime(MINUTE);
    const [execution] = await f.h.client.getExecutions(job.id);
    expect(f.seen).toHaveLength(1);
    const ctx = f.seen[0];
    expect(ctx.executionId).toBe(execution.id);
    expect(ctx.attempt).toBe(1);
    expect(ctx.job).toMatchObject({ id: job.id, name: "ctx", status: "running", payload: { name: "ctx" } });
    expect(ctx.signal.aborted).toBe(false);
  });

  it("retries a failing one-shot maxRetries times with doubling backoff, then fails it", async () => {
    f.behave("flaky", () => {
      throw new Error("downstream unavailable");
    });
    const job = await f.h.client.createJob(oneShot("flaky", new Date(START.getTime() + MINUTE), { maxRetries: 2 }));
    await f.h.advanceTime(MINUTE);
    expect(await f.h.client.getJob(job.id)).toMatchObject({
      status: "pending",
      nextRunAt: new Date(START.getTime() + MINUTE + SECOND),
    });
    await f.h.advanceTime(HOUR);
    const executions = await f.h.client.getExecutions(job.id);
    expect(executions.map((e) => [e.attempt, e.result, e.error, e.startedAt.getTime() - START.getTime()])).toEqual([
      [1, "failed", "downstream unavailable", MINUTE],
      [2, "failed", "downstream unavailable", MINUTE + SECOND],
      [3, "failed", "downstream unavailable", MINUTE + 3 * SECOND],
    ]);
    const failed = await f.h.client.getJob(job.id);
    expect(failed.status).toBe("failed");
    expect(failed.nextRunAt).toBeUndefined();
  });

  it("keeps a retry's backoff across pause and resume", async () => {
    f.behave("backoff", ({ attempt }) => {
      if (attempt === 1) throw new Error("first");
    });
    const job = await f.h.client.createJob(interval("backoff", HOUR, { maxRetries: 1 }));
    await f.h.advanceTime(HOUR);
    await f.h.client.pauseJob(job.id);
    await f.h.client.resumeJob(job.id);
    expect((await f.h.client.getJob(job.id)).nextRunAt).toEqual(new Date(START.getTime() + HOUR + SECOND));
    await f.h.advanceTime(SECOND);
    expect((await f.h.client.getExecutions(job.id)).map((e) => [e.attempt, e.result, e.startedAt.getTime() - START.getTime()])).toEqual([
      [1, "failed", HOUR],
      [2, "succeeded", HOUR + SECOND],
    ]);
  });

  it("runs an owed retry at once when it fell due while paused", async () => {
    f.behave("owed", ({ attempt }) => {
      if (attempt === 1) throw new Error("first");
    });
    const job = await f.h.client.createJob(oneShot("owed", new Date(START.getTime() + SECOND), { maxRetries: 1 }));
    await f.h.advanceTime(SECOND);
    await f.h.client.pauseJob(job.id);
    await f.h.advanceTime(HOUR);
    await f.h.client.resumeJob(job.id);
    expect((await f.h.client.getJob(job.id)).nextRunAt).toEqual(new Date(START.getTime() + SECOND + HOUR));
    await f.h.advanceTime(0);
    expect((await f.h.client.getJob(job.id)).status).toBe("completed");
  });

  it("completes a one-shot whose retry succeeds", async () => {
    f.behave("second-time-lucky", ({ attempt }) => (attempt === 1 ? Promise.reject(new Error("first")) : Promise.resolve()));
    const job = await f.h.client.createJob(oneShot("second-time-lucky", new Date(START.getTime() + SECOND), { maxRetries: 3 }));
    await f.h.advanceTime(10 * SECOND);
    expect((await f.h.client.getExecutions(job.id)).map((e) => e.result)).toEqual(["failed", "succeeded"]);
    expect((await f.h.client.getJob(job.id)).status).toBe("completed");
  });

  it("times an execution out after timeoutSecs, aborts its signal, and retries it", async () => {
    const reasons: unknown[] = [];
    f.behave("hang", ({ signal }) => {
      signal.addEventListener("abort", () => reasons.push(signal.reason));
      return new Promise(() => undefined);
    });
    const job = await f.h.client.createJob(interval("hang", HOUR, { timeoutSecs: 30, maxRetries: 1 }));
    await f.h.advanceTime(HOUR + 29 * SECOND);
    expect((await f.h.client.getExecutions(job.id)).map((e) => e.result)).toEqual(["running"]);
    expect((await f.h.client.getJob(job.id)).status).toBe("running");
    await f.h.advanceTime(SECOND);
    const [first] = await f.h.client.getExecutions(job.id);
    expect(first).toMatchObject({ result: "timed_out", attempt: 1, finishedAt: new Date(START.getTime() + HOUR + 30 * SECOND) });
    expect(first.error).toContain("30");
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as Error).name).toBe("TimeoutError");
    // The retry comes one second later and times out too; the interval job then waits for its next slot.
    await f.h.advanceTime(31 * SECOND);
    expect((await f.h.client.getExecutions(job.id)).map((e) => [e.attempt, e.result])).toEqual([
      [1, "timed_out"],
      [2, "timed_out"],
    ]);
    expect(await f.h.client.getJob(job.id)).toMatchObject({ status: "pending", nextRunAt: new Date(START.getTime() + 2 * HOUR) });
  });

  it("ignores an executor that settles after its timeout", async () => {
    let finish: () => void = () => undefined;
    f.behave("late", () => new Promise<void>((resolve) => (finish = resolve)));
    const job = await f.h.client.createJob(oneShot("late", new Date(START.getTime() + SECOND), { timeoutSecs: 1 }));
    await f.h.advanceTime(2 * SECOND);
    finish();
    await f.h.advanceTime(SECOND);
    expect((await f.h.client.getExecutions(job.id)).map((e) => e.result)).toEqual(["timed_out"]);
    expect((await f.h.client.getJob(job.id)).status).toBe("failed");
  });

  it("records a non-Error rejection as the error text", async () => {
    f.behave("odd", () => Promise.reject("plain string"));
    const job = await f.h.client.createJob(oneShot("odd", new Date(START.getTime() + SECOND)));
    await f.h.advanceTime(SECOND);
    expect((await f.h.client.getExecutions(job.id))[0]).toMatchObject({ result: "failed", error: "plain string" });
  });

  it("keeps only the newest executions up to the history limit", async () => {
    const job = await f.h.client.createJob(interval("many", SECOND));
    await f.h.advanceTime(8 * SECOND);
    const executions = await f.h.client.getExecutions(job.id);
    expect(executions.map((e) => e.startedAt.getTime() - START.getTime())).toEqual([4, 5, 6, 7, 8].map((n) => n * SECOND));
  });

  it("emits a JobCompletedEvent for every finished execution", async () => {
    const events: JobCompletedEvent[] = [];
    const unsubscribe = f.h.onJobCompleted((e) => events.push(e));
    f.behave("events", ({ attempt }) => {
      if (attempt === 1) throw new Error("nope");
    });
    const job = await f.h.client.createJob(oneShot("events", new Date(START.getTime() + SECOND), { maxRetries: 1 }));
    await f.h.advanceTime(5 * SECOND);
    const executions = await f.h.client.getExecutions(job.id);
    expect(events).toEqual([
      {
        jobId: job.id,
        executionId: executions[0].id,
        completedAt: new Date(START.getTime() + SECOND),
        result: "failed",
        jobName: "events",
        attempt: 1,
        error: "nope",
        trigger: "schedule",
      },
      {
        jobId: job.id,
        executionId: executions[1].id,
        completedAt: new Date(START.getTime() + 2 * SECOND),
        result: "succeeded",
        jobName: "events",
        attempt: 2,
        trigger: "retry",
      },
    ]);
    unsubscribe();
    await f.h.client.createJob(oneShot("after", new Date(START.getTime() + 6 * SECOND)));
    await f.h.advanceTime(5 * SECOND);
    expect(events).toHaveLength(2);
  });
}
