import { GrpcSchedulerClient, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

export async function main(): Promise<string[]> {
  const server = await createTestServer({ clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
  const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
  try {
    // At every start-up: created the first time, unchanged after, updated when the code changes it.
    const sync = {
      key: "health-sync", // unique among the jobs not deleted
      name: "health-sync",
      schedule: { type: "interval", intervalMs: 10 * 60_000 },
      payload: { region: "ap-northeast-1" },
      overlap: "buffer_one", // a fire that finds the last run still going waits for it
    } as const;
    const first = await client.ensureJob(sync);
    const again = await client.ensureJob(sync);

    try {
      await client.createJob(sync); // the key is taken
    } catch (err) {
      if (!(err instanceof SchedulerError) || err.code !== "JOB_ALREADY_EXISTS" || err.existingJobId !== first.job.id) throw err;
    }

    // Change it in place (only the fields given), look ahead, run it now.
    const job = await client.updateJob(first.job.id, {
      schedule: { type: "cron", expression: "0 9 * * MON-FRI", timezone: "Asia/Tokyo" },
      endAt: new Date("2030-12-31T00:00:00Z"), // no fires after this; then the job is completed
    });
    const fires = await client.getUpcomingFires(job.id, 2);
    const run = await client.triggerJob(job.id);

    await client.deleteJob(job.id); // the job and its history; the key is free again
    await client.deleteJob(job.id); // deleting twice is safe
    return [first.outcome, again.outcome, ...fires.map((d) => d.toISOString()), `${run.trigger} ${run.result}`];
  } finally {
    await client.close();
    await server.close();
  }
}

// Run by itself (npx tsx examples/readme/job-management.ts), it prints what it found.
if (require.main === module) void main().then((lines) => console.log(lines.join("\n")));
