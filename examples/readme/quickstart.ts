import { GrpcSchedulerClient, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

export async function main(): Promise<string[]> {
  // A real gRPC scheduler on 127.0.0.1 (in production: "http://scheduler-server:8080").
  const server = await createTestServer({ clock: "manual" });
  const client = new GrpcSchedulerClient(server.url);
  try {
    const job = await client.createJob({
      name: "daily-report",
      schedule: { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" },
      payload: { report_type: "daily", tenant_id: "TENANT-001" },
      maxRetries: 3,
      timeoutSecs: 300,
    });
    await client.pauseJob(job.id);
    await client.resumeJob(job.id);

    await server.advanceTime(24 * 60 * 60 * 1000); // one simulated day

    const fetched = await client.getJob(job.id);
    const executions = await client.getExecutions(job.id);
    const reports = await client.listJobs({ namePrefix: "daily-" });

    try {
      await client.getJob("no-such-job");
    } catch (err) {
      if (!(err instanceof SchedulerError) || err.code !== "JOB_NOT_FOUND") throw err;
    }
    return [fetched.status, executions[0]?.result ?? "none", String(reports.length)];
  } finally {
    await client.close();
    await server.close();
  }
}

// Run by itself (npx tsx examples/readme/quickstart.ts), it prints what it found.
if (require.main === module) void main().then((lines) => console.log(lines.join("\n")));
