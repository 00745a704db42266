import { InMemorySchedulerClient, ManualClock } from "@k1s0/scheduler-client";

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
