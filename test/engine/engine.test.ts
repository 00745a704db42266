import { ManualClock } from "@k1s0/scheduler-client";
import { decodePageToken, encodePageToken } from "../../src/engine/page-token.js";
import { SchedulerEngine } from "../../src/engine/scheduler-engine.js";
import type { JobSpec } from "../../src/types/job-spec.js";

const spec = (intervalMs: number): JobSpec => ({
  name: "e",
  schedule: { type: "interval", intervalMs },
  payloadJson: "{}",
  maxRetries: 0,
  timeoutSecs: 60,
});

describe("SchedulerEngine", () => {
  it("rejects bad options naming the option", () => {
    const clock = new ManualClock(0);
    for (const [name, value] of [["executionHistoryLimit", 0], ["retryInitialBackoffMs", -1], ["retryMaxBackoffMs", 1.5]] as const) {
      expect(() => new SchedulerEngine({ clock, [name]: value })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: name }));
    }
  });

  it("caps the retry backoff at retryMaxBackoffMs", async () => {
    const clock = new ManualClock(0);
    const engine = new SchedulerEngine({
      clock,
      retryInitialBackoffMs: 100,
      retryMaxBackoffMs: 250,
      executor: () => {
        throw new Error("x");
      },
    });
    const job = engine.createJob({ ...spec(1_000_000), maxRetries: 4 });
    await clock.advanceTime(1_000_000 + 100 + 200 + 250 + 250);
    const starts = engine.listExecutions(job.id, 10, "").items.map((e) => e.startedAt.getTime() - 1_000_000);
    expect(starts).toEqual([0, 100, 300, 550, 800]);
  });

  it("holds 100,000 jobs on one alarm and fires each exactly once", async () => {
    const clock = new ManualClock(0);
    let alarms = 0;
    const counting = {
      now: () => clock.now(),
      setAlarm: (at: number, cb: () => void | Promise<void>) => {
        alarms++;
        return clock.setAlarm(at, cb);
      },
    };
    const engine = new SchedulerEngine({ clock: counting });
    let fired = 0;
    engine.onJobCompleted(() => fired++);
    for (let i = 0; i < 100_000; i++) {
      engine.createJob({ ...spec(1_000 + (i % 1_000)), name: `j${i}` });
    }
    // One alarm armed for the earliest job, not one timer per job.
    expect(alarms).toBe(1);
    await clock.advanceTime(1_999);
    expect(fired).toBe(100_000);
    engine.close();
  });

  it("answers a retried create from its idempotency key before time-dependent checks", async () => {
    const clock = new ManualClock(0);
    const engine = new SchedulerEngine({ clock, idempotencyWindowMs: 7_200_000 });
    const oneShot: JobSpec = { ...spec(1), schedule: { type: "one_shot", runAt: new Date(60_000) }, idempotencyKey: "k" };
    const first = engine.createJob(oneShot);
    await clock.advanceTime(3_600_000);
    // The runAt is an hour in the past now, but this is the same request: the original comes back.
    expect(engine.createJob(oneShot).id).toBe(first.id);
    // After the window the key is forgotten, and the request is judged afresh.
    await clock.advanceTime(7_200_000);
    expect(() => engine.createJob(oneShot)).toThrow(expect.objectContaining({ code: "INVALID_SCHEDULE" }));
  });

  it("stops firing after close; reads keep working, writes fail with INVALID_STATE", async () => {
    const clock = new ManualClock(0);
    const engine = new SchedulerEngine({ clock });
    const job = engine.createJob(spec(10));
    engine.close();
    await clock.advanceTime(100);
    expect(engine.listExecutions(job.id, undefined, "").items).toEqual([]);
    expect(engine.getJob(job.id).status).toBe("pending");
    expect(() => engine.createJob(spec(10))).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
    expect(() => engine.pauseJob(job.id)).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
  });

  it("schedules nothing for an execution that finishes after close", async () => {
    const clock = new ManualClock(0);
    const engine = new SchedulerEngine({
      clock,
      executor: ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    });
    const job = engine.createJob(spec(10));
    await clock.advanceTime(10);
    expect(engine.getJob(job.id).status).toBe("running");
    engine.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.getJob(job.id).nextRunAt).toBeUndefined();
    expect(engine.listExecutions(job.id, undefined, "").items.map((e) => [e.result, e.error])).toEqual([
      ["failed", "scheduler engine closed"],
    ]);
  });

  it("re-throws a listener's exception on its own tick without disturbing the engine", async () => {
    const clock = new ManualClock(0);
    const engine = new SchedulerEngine({ clock });
    const thrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (cb) => {
      try {
        cb();
      } catch (err) {
        thrown.push(err);
      }
    };
    try {
      engine.onJobCompleted(() => {
        throw new Error("listener bug");
      });
      const job = engine.createJob(spec(10));
      await clock.advanceTime(10);
      expect((thrown[0] as Error).message).toBe("listener bug");
      expect(engine.getJob(job.id).status).toBe("pending");
    } finally {
      globalThis.queueMicrotask = original;
    }
  });
});

describe("page tokens", () => {
  it("round-trip and refuse tokens of another scope or garbage", () => {
    expect(decodePageToken(encodePageToken("jobs::", 41), "jobs::")).toBe(41);
    expect(decodePageToken("", "jobs::")).toBe(-1);
    for (const bad of [encodePageToken("jobs:paused:", 41), "%%%", Buffer.from("[1]").toString("base64url"), encodePageToken("jobs::", -3)]) {
      expect(() => decodePageToken(bad, "jobs::")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "pageToken" }));
    }
  });
});

describe("executor outcomes", () => {
  it("treats any thenable as asynchronous, not only native promises", async () => {
    const clock = new ManualClock(0);
    const results: string[] = [];
    const thenable = (fail: boolean) => ({
      then(resolve: () => void, reject: (e: Error) => void) {
        if (fail) reject(new Error("thenable failed"));
        else resolve();
      },
    });
    const engine = new SchedulerEngine({
      clock,
      executor: ({ job }) => thenable(job.name === "bad") as unknown as Promise<void>,
    });
    engine.onJobCompleted((e) => results.push(`${e.jobName}:${e.result}:${e.error ?? ""}`));
    engine.createJob({ ...spec(10), name: "good" });
    engine.createJob({ ...spec(10), name: "bad" });
    await clock.advanceTime(10);
    expect(results.sort()).toEqual(["bad:failed:thenable failed", "good:succeeded:"]);
  });
});
