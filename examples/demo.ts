/**
 * `npm run demo`: the design document's usage example, end to end over gRPC.
 *
 * By default it starts the embedded test server with a manual clock, runs the example, advances
 * the clock one day and prints the jobs and their executions. With SCHEDULER_URL set it runs the
 * same calls against that server instead (no clock to advance there).
 */
import {
  GrpcSchedulerClient,
  type Job,
  type JobCompletedEvent,
  KafkaJobCompletedSubscriber,
  type SchedulerClient,
  type Subscription,
} from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { formatTable } from "../src/cli/format-table.js";
import { describeSchedule } from "../src/cli/render.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export interface DemoOptions {
  /** A scheduler server to use instead of the embedded one. */
  serverUrl?: string;
  /** Kafka brokers: the embedded server publishes completion events there and the demo subscribes. */
  kafkaBrokers?: string[];
  /** Where output goes. @default console.log */
  print?: (line: string) => void;
}

export async function runDemo({ serverUrl, kafkaBrokers, print = console.log }: DemoOptions = {}): Promise<void> {
  // A topic of its own per run, so the demo reads exactly the events it caused.
  const topic = `k1s0.demo.${Date.now()}.job_completed.v1`;
  const kafka = kafkaBrokers === undefined ? undefined : { brokers: kafkaBrokers, topic };
  const server: TestServer | undefined =
    serverUrl === undefined ? await createTestServer({ clock: "manual", ...(kafka ? { kafka } : {}) }) : undefined;
  const url = serverUrl ?? (server as TestServer).url;
  const events: JobCompletedEvent[] = [];
  let emitted = 0;
  server?.onJobCompleted(() => emitted++);
  let subscription: Subscription | undefined;
  if (kafka && server) {
    const subscriber = new KafkaJobCompletedSubscriber({ ...kafka, groupId: `k1s0-demo-${Date.now()}`, fromBeginning: true });
    subscription = await subscriber.subscribe((event) => void events.push(event));
  } else {
    server?.onJobCompleted((event) => events.push(event));
  }
  const client: SchedulerClient & { close(): Promise<void> } = new GrpcSchedulerClient(url);
  print(`scheduler: ${url}${server ? " (embedded test server, manual clock)" : ""}`);
  const now = client.now();
  // Against a real server the demo removes what it created; the embedded one goes away anyway.
  const created: string[] = [];

  try {
    // Cron job: every day at 02:00.
    const job = await client.createJob({
      name: "daily-report",
      schedule: { type: "cron", expression: "0 2 * * *" },
      payload: { report_type: "daily", tenant_id: "TENANT-001" },
      maxRetries: 3,
      timeoutSecs: 300,
    });
    created.push(job.id);
    print(`registered cron job ${job.id}`);

    // One-shot job: once, five minutes from now.
    const oneShot = await client.createJob({
      name: "send-reminder",
      schedule: { type: "one_shot", runAt: new Date(now.getTime() + 5 * MINUTE) },
      payload: { user_id: "USR-001", message: "リマインダー" },
      maxRetries: 1,
      timeoutSecs: 30,
    });
    created.push(oneShot.id);

    // Interval job: every ten minutes.
    const intervalJob = await client.createJob({
      name: "health-sync",
      schedule: { type: "interval", intervalMs: 10 * MINUTE },
      payload: {},
      maxRetries: 0,
      timeoutSecs: 60,
    });
    created.push(intervalJob.id);

    await client.pauseJob(job.id);
    print(`paused daily-report: ${(await client.getJob(job.id)).status}`);
    await client.resumeJob(job.id);
    await client.cancelJob(oneShot.id);

    if (server) {
      print("advancing the clock one day...");
      await server.advanceTime(DAY);
    }

    const fetched = await client.getJob(job.id);
    print(`daily-report status: ${fetched.status}, next run ${iso(fetched.nextRunAt)}`);
    const running = await client.listJobs({ status: "running" });
    print(`running jobs: ${running.length}`);

    print("\njobs");
    print(formatTable((await client.listJobs()).map(jobRow), ["name", "schedule", "status", "next run", "id"]));

    for (const j of [job, intervalJob]) {
      const executions = await client.getExecutions(j.id);
      print(`\nexecutions of ${j.name}: ${executions.length} (the server keeps the newest 100 per job)`);
      const row = (e: (typeof executions)[number]) => ({ started: iso(e.startedAt), finished: iso(e.finishedAt), result: e.result, attempt: String(e.attempt), id: e.id });
      const columns = ["started", "finished", "result", "attempt", "id"];
      if (executions.length <= 6) print(formatTable(executions.map(row), columns));
      else {
        // The first three and the last three, saying how many are left out between them.
        const table = formatTable([...executions.slice(0, 3), ...executions.slice(-3)].map(row), columns).split("\n");
        print([...table.slice(0, 5), `... ${executions.length - 6} more ...`, ...table.slice(5)].join("\n"));
      }
    }
    if (server) {
      if (subscription) {
        // The server publishes as executions finish; wait (bounded) until the subscriber has them all.
        const deadline = Date.now() + 30_000;
        while (events.length < emitted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      print(`\ncompletion events received ${subscription ? `through Kafka (${topic})` : "in process"}: ${events.length} of ${emitted}${events.length > 3 ? " (the first 3)" : ""}`);
      print(
        formatTable(
          events.slice(0, 3).map((e) => ({ job: e.jobName, completed: iso(e.completedAt), result: e.result, execution: e.executionId })),
          ["job", "completed", "result", "execution"],
        ),
      );
    }
  } finally {
    if (server === undefined) {
      const removed = await Promise.allSettled(created.map((id) => client.deleteJob(id)));
      print(`\nremoved the ${removed.filter((r) => r.status === "fulfilled").length} jobs the demo created`);
    }
    await subscription?.close();
    await client.close();
    await server?.close();
  }
}

function jobRow(j: Job): Record<string, string> {
  return { name: j.name, schedule: describeSchedule(j.schedule), status: j.status, "next run": iso(j.nextRunAt), id: j.id };
}

function iso(d: Date | undefined): string {
  return d === undefined ? "-" : d.toISOString().replace(".000Z", "Z");
}

if (require.main === module) {
  runDemo({
    ...(process.env.SCHEDULER_URL ? { serverUrl: process.env.SCHEDULER_URL } : {}),
    ...(process.env.KAFKA_BROKERS ? { kafkaBrokers: process.env.KAFKA_BROKERS.split(",") } : {}),
  }).catch((err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  });
}
