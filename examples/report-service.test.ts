/**
 * The design document's unit test for a service (it used mockall), written with the in-memory
 * double and a manual clock instead of a mock: the real scheduling rules run, deterministically.
 */
import { type ExecutionContext, InMemorySchedulerClient } from "@k1s0/scheduler-client";
import { ReportService } from "./report-service.js";

describe("ReportService", () => {
  it("registers the daily report cron job on start-up, once", async () => {
    const scheduler = new InMemorySchedulerClient({ clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
    const service = new ReportService(scheduler, "TENANT-001");

    const job = await service.start();
    await service.start(); // a restart

    expect(scheduler.getAll()).toHaveLength(1);
    expect(job).toMatchObject({
      key: "daily-report/TENANT-001",
      name: "daily-report-TENANT-001",
      schedule: { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" },
      status: "pending",
      nextRunAt: new Date("2030-01-01T17:00:00Z"), // 02:00 in Tokyo
    });
  });

  it("keeps one job per tenant, with no prefix confusion, when replicas start at once", async () => {
    const scheduler = new InMemorySchedulerClient({ clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
    const tenant10 = await new ReportService(scheduler, "TENANT-10").start();
    const replicas = await Promise.all([1, 2, 3].map(() => new ReportService(scheduler, "TENANT-1").start()));
    expect(new Set(replicas.map((j) => j.id)).size).toBe(1);
    expect(replicas[0].id).not.toBe(tenant10.id);
    expect(scheduler.getAll().map((j) => j.key)).toEqual(["daily-report/TENANT-10", "daily-report/TENANT-1"]);
  });

  it("gets its payload delivered at 02:00 Tokyo time, retried after a failure", async () => {
    const runs: ExecutionContext[] = [];
    const scheduler = new InMemorySchedulerClient({
      clock: "manual",
      startTime: new Date("2030-01-01T00:00:00Z"),
      executor: (ctx) => {
        runs.push(ctx);
        if (ctx.attempt === 1) throw new Error("report database busy");
      },
    });
    const job = await new ReportService(scheduler, "TENANT-001").start();

    await scheduler.advanceTime(18 * 60 * 60 * 1000); // to 18:00 UTC = 03:00 Tokyo

    expect(runs.map((r) => [r.attempt, r.job.payload])).toEqual([
      [1, { report_type: "daily", tenant_id: "TENANT-001" }],
      [2, { report_type: "daily", tenant_id: "TENANT-001" }],
    ]);
    const executions = await scheduler.getExecutions(job.id);
    expect(executions.map((e) => e.result)).toEqual(["failed", "succeeded"]);
    expect((await scheduler.getJob(job.id)).nextRunAt).toEqual(new Date("2030-01-02T17:00:00Z"));
  });
});
