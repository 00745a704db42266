/**
 * Scenario from the design document: a one-shot reminder five minutes from now.
 *
 *   npx tsx examples/send-reminder.ts
 */
import { GrpcSchedulerClient, type JobExecution } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

export async function main(): Promise<{ status: string; executions: JobExecution[] }> {
  const delivered: unknown[] = [];
  // The embedded server stands in for the scheduler; its executor stands in for the worker
  // that would send the reminder.
  const server = await createTestServer({ clock: "manual", executor: ({ job }) => void delivered.push(job.payload) });
  const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
  try {
    const reminder = await client.createJob({
      name: "send-reminder",
      schedule: { type: "one_shot", runAt: new Date(server.now().getTime() + 5 * 60_000) },
      payload: { user_id: "USR-001", message: "リマインダー" },
      maxRetries: 1,
      timeoutSecs: 30,
    });
    await server.advanceTime(5 * 60_000);
    const done = await client.getJob(reminder.id);
    const executions = await client.getExecutions(reminder.id);
    console.log(`reminder ${done.status}; sent ${JSON.stringify(delivered)}`);
    return { status: done.status, executions };
  } finally {
    await client.close();
    await server.close();
  }
}

if (require.main === module) void main();
