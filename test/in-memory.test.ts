import { InMemorySchedulerClient, ManualClock } from "@k1s0/scheduler-client";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

describe("InMemorySchedulerClient specifics", () => {
  it("refuses advanceTime without a manual clock", async () => {
    const client = new InMemorySchedulerClient();
    await expect(client.advanceTime(1)).rejects.toMatchObject({ code: "INVALID_STATE" });
    void client.close();
  });

  it("returns every job from getAll, oldest first, as copies", async () => {
    const client = new InMemorySchedulerClient({ clock: "manual" });
    const a = await client.createJob({ name: "a", schedule: { type: "interval", intervalMs: 1000 }, payload: { v: 1 } });
    const b = await client.createJob({ name: "b", schedule: { type: "cron", expression: "0 * * * *" }, payload: null });
    const all = client.getAll();
    expect(all).toEqual([a, b]);
    (all[0].payload as { v: number }).v = 2;
    expect(client.getAll()[0].payload).toEqual({ v: 1 });
  });

  it("accepts an injected clock, shared with the test", async () => {
    const clock = new ManualClock(Date.UTC(2040, 0, 1));
    const client = new InMemorySchedulerClient({ clock });
    const job = await client.createJob({ name: "c", schedule: { type: "interval", intervalMs: 500 }, payload: 0 });
    await clock.advanceTime(1000);
    expect(await client.getExecutions(job.id)).toHaveLength(2);
    expect(client.now()).toEqual(new Date(Date.UTC(2040, 0, 1) + 1000));
  });

  it("runs on the system clock by default", async () => {
    jest.useFakeTimers({ now: Date.UTC(2040, 0, 1) });
    try {
      const client = new InMemorySchedulerClient();
      const job = await client.createJob({ name: "s", schedule: { type: "interval", intervalMs: 1000 }, payload: 0 });
      await jest.advanceTimersByTimeAsync(3000);
      expect(await client.getExecutions(job.id)).toHaveLength(3);
      void client.close();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe("keepAlive (system clock, scripts)", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join("test", "fixtures", "keep-alive.ts"), ...args], { cwd: join(__dirname, ".."), encoding: "utf8", timeout: 30_000 });

  it("without it, a script that only registers a job exits at once (timers never hold a process)", () => {
    expect(run([])).toMatchObject({ status: 0, stdout: "runs 0\n" });
  });

  it("with it, the job's timers hold the process until close()", () => {
    expect(run(["keep"])).toMatchObject({ status: 0, stdout: "runs 3\n" });
  });

  it("must be a boolean", () => {
    expect(() => new InMemorySchedulerClient({ keepAlive: "yes" as unknown as boolean })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "keepAlive" }));
  });
});
