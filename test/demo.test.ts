import { runDemo } from "../examples/demo.js";
import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

describe("npm run demo", () => {
  it("runs the design document's example on the embedded server and prints tables", async () => {
    const lines: string[] = [];
    await runDemo({ print: (line) => lines.push(line) });
    const out = lines.join("\n");
    expect(out).toContain("embedded test server, manual clock");
    expect(out).toContain("paused daily-report: paused");
    expect(out).toMatch(/daily-report status: pending, next run \S+T02:00:00Z/);
    expect(out).toMatch(/send-reminder\s+once at \S+\s+cancelled/);
    expect(out).toMatch(/health-sync\s+every 10m\s+pending/);
    expect(out).toMatch(/daily-report\s+cron "0 2 \* \* \*" UTC\s+pending/);
    expect(out).toContain("... 94 more ...");
    expect(out).toContain("145 of 145 (the first 3)");
    expect(out).toContain("executions of daily-report: 1");
    // 144 interval fires in a day, of which the server keeps the newest 100.
    expect(out).toContain("executions of health-sync: 100");
    expect(out).toContain("completion events received in process: 145 of 145");
  });

  const kafkaIt = process.env.KAFKA_BROKERS ? it : it.skip;
  kafkaIt("shows the completion events arriving through Kafka when brokers are given", async () => {
    const lines: string[] = [];
    await runDemo({ kafkaBrokers: process.env.KAFKA_BROKERS!.split(","), print: (line) => lines.push(line) });
    expect(lines.join("\n")).toMatch(/completion events received through Kafka \(k1s0\.demo\.\d+\.job_completed\.v1\): 145 of 145/);
  }, 60_000);

  it("runs against another server given its URL", async () => {
    const server = await createTestServer();
    const lines: string[] = [];
    await runDemo({ serverUrl: server.url, print: (line) => lines.push(line) });
    expect(lines[0]).toBe(`scheduler: ${server.url}`);
    expect(lines.join("\n")).toContain("executions of daily-report: 0");
    // It cleans up after itself on a server that is not its own.
    expect(lines.join("\n")).toContain("removed the 3 jobs the demo created");
    const client = new GrpcSchedulerClient(server.url);
    expect(await client.listJobs()).toEqual([]);
    await client.close();
    await server.close();
  });
});
