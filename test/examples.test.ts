import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { main as kafkaConsumer } from "../examples/kafka-consumer.js";
import { main as reportService } from "../examples/report-service.js";
import { main as sendReminder } from "../examples/send-reminder.js";

describe("examples/ (each runs as documented)", () => {
  beforeEach(() => jest.spyOn(console, "log").mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it("report-service: registers the daily report once across restarts", async () => {
    const [first, afterRestart] = await reportService(undefined);
    expect(afterRestart.id).toBe(first.id);
    expect(first).toMatchObject({ name: "daily-report-TENANT-001", status: "pending" });
  });

  it("send-reminder: the one-shot completes after five minutes", async () => {
    const { status, executions } = await sendReminder();
    expect(status).toBe("completed");
    expect(executions.map((e) => e.result)).toEqual(["succeeded"]);
  });

  (process.env.KAFKA_BROKERS ? it : it.skip)("kafka-consumer: two completion events arrive through Kafka", async () => {
    const events = await kafkaConsumer(process.env.KAFKA_BROKERS!.split(","));
    expect(events.map((e) => [e.jobName, e.result])).toEqual([
      ["health-sync", "succeeded"],
      ["health-sync", "succeeded"],
    ]);
  }, 60_000);
});

describe("examples/readme/ run by themselves (npx tsx <file>) print what they found", () => {
  const root = join(__dirname, "..");
  const run = (file: string): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, ["--import", "tsx", join("examples/readme", file)], { cwd: root, encoding: "utf8", timeout: 120_000 });

  (process.env.KAFKA_BROKERS ? it : it.skip)("kafka-subscriber.ts (KAFKA_BROKERS from the environment)", () => {
    const result = run("kafka-subscriber.ts");
    expect([result.status, result.stdout.trim(), result.stderr]).toEqual([0, "health-sync succeeded\nhealth-sync succeeded\nhealth-sync succeeded", ""]);
  });

  it.each([
    ["quickstart.ts", "pending\nsucceeded\n1"],
    ["unit-test-double.ts", "2030-01-01T03:30:00.000Z attempt 1: failed (database busy)\n2030-01-01T03:30:01.000Z attempt 2: succeeded\nevents: 2"],
    ["iterate.ts", "tenant-0-sync\ntenant-119-sync\n120"],
    ["job-management.ts", "created\nunchanged\n2030-01-02T00:00:00.000Z\n2030-01-03T00:00:00.000Z\nmanual succeeded"],
  ])("%s", (file, printed) => {
    const result = run(file);
    expect([result.status, result.stdout.trim(), result.stderr]).toEqual([0, printed, ""]);
  });
});
