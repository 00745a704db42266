// Heap per job at its largest apart from the payload (counted by maxStoredBytes): the longest
// name (200 code points outside the BMP), the longest cron expression (256 characters, firing
// every second), the longest time zone name, an idempotency key of 128 characters, and a full
// default history of 100 executions. Run by memory-limits.test.ts with
// `node --expose-gc --import tsx`; prints one JSON line.
import { ManualClock } from "../../../src/engine/clock.js";
import { SchedulerEngine } from "../../../src/engine/scheduler-engine.js";

async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? "1000");
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  const clock = new ManualClock(Date.UTC(2040, 0, 1));
  const engine = new SchedulerEngine({ clock });
  const expression = `*${" ".repeat(245)} * * * * *`;
  const timezone = Intl.supportedValuesOf("timeZone").reduce((a, b) => (b.length > a.length ? b : a));
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < jobs; i++) {
    const name = `${String(i).padStart(8, "0")}${"\u{1D4B3}".repeat(192)}`;
    engine.createJob({
      name,
      schedule: { type: "cron", expression, timezone },
      payloadJson: "null",
      maxRetries: 100,
      timeoutSecs: 86_400,
      idempotencyKey: `${String(i).padStart(8, "0")}${"k".repeat(120)}`,
    });
  }
  await clock.advanceTime(100_000);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const executions = engine.listExecutions(engine.allJobs()[0].id, 1000, "").items.length;
  process.stdout.write(`${JSON.stringify({ jobs, executions, bytesPerJob: (after - before) / jobs })}\n`);
  engine.close();
}

void main();
