import { InMemorySchedulerClient, type JobCompletedEvent, type SchedulerClient } from "@k1s0/scheduler-client";

// The code under test depends on the interface only.
async function registerNightlyCleanup(scheduler: SchedulerClient): Promise<string> {
  const job = await scheduler.createJob({
    name: "nightly-cleanup",
    schedule: { type: "cron", expression: "30 3 * * *" },
    payload: { olderThanDays: 30 },
    maxRetries: 2,
  });
  return job.id;
}

export async function main(): Promise<string[]> {
  // In a test: the in-memory double, a manual clock and a scripted executor.
  const scheduler = new InMemorySchedulerClient({
    clock: "manual",
    startTime: new Date("2030-01-01T00:00:00Z"),
    executor: ({ attempt }) => {
      if (attempt === 1) throw new Error("database busy"); // first attempt fails, the retry succeeds
    },
  });
  const events: JobCompletedEvent[] = [];
  scheduler.onJobCompleted((event) => events.push(event));

  const id = await registerNightlyCleanup(scheduler);
  await scheduler.advanceTime(4 * 60 * 60 * 1000); // to 04:00

  const executions = await scheduler.getExecutions(id);
  await scheduler.close();
  return [
    ...executions.map((e) => `${e.startedAt.toISOString()} attempt ${e.attempt}: ${e.result}${e.error ? ` (${e.error})` : ""}`),
    `events: ${events.length}`,
  ];
}

// Run by itself (npx tsx examples/readme/unit-test-double.ts), it prints what it found.
if (require.main === module) void main().then((lines) => console.log(lines.join("\n")));
