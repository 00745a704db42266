import type { PartitionLag } from "../kafka/group-lag.js";
import type { JobCompletedEvent, JobExecution } from "../types/execution.js";
import type { Job } from "../types/job.js";
import type { Schedule } from "../types/schedule.js";
import { formatTable } from "./format-table.js";

const iso = (d: Date | undefined): string => (d === undefined ? "-" : d.toISOString());

export function describeSchedule(s: Schedule): string {
  if (s.type === "cron") return `cron "${s.expression}" ${s.timezone ?? "UTC"}`;
  if (s.type === "one_shot") return `once at ${iso(s.runAt)}`;
  return `every ${duration(s.intervalMs)}`;
}

const DURATION_UNITS: [string, number][] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

/** A duration in its largest whole units, as the CLI's options take them: `10m`, `1h30m`, `1500ms`. */
export function duration(ms: number): string {
  if (ms === 0) return "0s";
  // Whole seconds read in d/h/m/s; anything with milliseconds stays in ms.
  if (ms % 1_000 !== 0) return `${ms}ms`;
  let left = ms;
  let text = "";
  for (const [unit, size] of DURATION_UNITS) {
    if (left >= size) {
      text += `${Math.floor(left / size)}${unit}`;
      left %= size;
    }
  }
  return text;
}

export function jobsTable(jobs: Job[]): string {
  return formatTable(
    jobs.map((j) => ({ id: j.id, name: j.name, schedule: describeSchedule(j.schedule), status: j.status, "next run": iso(j.nextRunAt) })),
    ["id", "name", "schedule", "status", "next run"],
  );
}

/**
 * A job as `name  value` rows; with `upcomingFires`, one `upcoming` row per fire time (or one
 * saying why there are none to show).
 */
export function jobDetails(j: Job, upcomingFires?: Date[] | string): string {
  const rows: [string, string][] = [
    ["id", j.id],
    ["name", j.name],
    ["schedule", describeSchedule(j.schedule)],
    ["status", j.status],
    ["next run", iso(j.nextRunAt)],
    ["created", iso(j.createdAt)],
    ["max retries", String(j.maxRetries)],
    ["timeout", `${j.timeoutSecs} s`],
    ["payload", JSON.stringify(j.payload)],
    ["key", j.key ?? "-"],
    ["overlap", j.overlap],
    ["window", j.startAt === undefined && j.endAt === undefined ? "-" : `${iso(j.startAt)} .. ${iso(j.endAt)}`],
  ];
  if (typeof upcomingFires === "string") rows.push(["upcoming", upcomingFires]);
  else if (upcomingFires?.length === 0) rows.push(["upcoming", "none"]);
  else for (const at of upcomingFires ?? []) rows.push(["upcoming", iso(at)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

export function executionsTable(executions: JobExecution[]): string {
  return formatTable(
    executions.map((e) => ({
      id: e.id,
      attempt: String(e.attempt),
      trigger: e.trigger ?? "-",
      result: e.result,
      started: iso(e.startedAt),
      finished: iso(e.finishedAt),
      error: e.error ?? "",
    })),
    ["id", "attempt", "trigger", "result", "started", "finished", "error"],
  );
}

/** One execution on a line: id, what started it, attempt, result, start. */
export function executionLine(e: JobExecution): string {
  return [e.id, e.trigger ?? "-", `attempt ${e.attempt}`, e.result, iso(e.startedAt)].join("  ");
}

export function eventLine(e: JobCompletedEvent): string {
  return [iso(e.completedAt), e.jobName, e.result, `attempt ${e.attempt}`, e.jobId, e.executionId, e.error ?? ""].join("  ").trimEnd();
}

/** One line: the group's total lag, then per partition. */
export function lagLine(lag: PartitionLag[]): string {
  return `lag ${lag.reduce((sum, p) => sum + p.lag, 0)} (${lag.map((p) => `partition ${p.partition}: ${p.lag}`).join(", ")})`;
}

/** A group's lag per partition, and the total. */
export function lagTable(lag: PartitionLag[]): string {
  const rows = lag.map((p) => ({ partition: String(p.partition), committed: p.committed < 0 ? "none" : String(p.committed), end: String(p.end), lag: String(p.lag) }));
  return `${formatTable(rows, ["partition", "committed", "end", "lag"])}\ntotal lag: ${lag.reduce((sum, p) => sum + p.lag, 0)} events`;
}

/** JSON for scripts: dates as ISO strings, two-space indent. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
