import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_TIMEOUT_MS, DEFAULTS, JOB_STATUSES, SCHEDULER_ERROR_CODES, TRANSITION_RULES } from "@k1s0/scheduler-client";
import { main as iterate } from "../examples/readme/iterate.js";
import { main as jobManagement } from "../examples/readme/job-management.js";
import { main as kafkaSubscriber } from "../examples/readme/kafka-subscriber.js";
import { main as quickstart } from "../examples/readme/quickstart.js";
import { main as unitTestDouble } from "../examples/readme/unit-test-double.js";

const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The markdown table that follows `<!-- marker -->`, as rows of cells (header and rule dropped). */
function tableAfter(marker: string): string[][] {
  const start = readme.indexOf(`<!-- ${marker} -->`);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = readme.slice(start).split("\n").slice(1);
  const table = lines.slice(0, lines.findIndex((l) => !l.startsWith("|")));
  return table.slice(2).map((l) => l.split("|").slice(1, -1).map((c) => c.trim().replace(/`/g, "")));
}

describe("README", () => {
  it("shows each example file verbatim", () => {
    const blocks = [...readme.matchAll(/<!-- example: (\S+) -->\n```ts\n([\s\S]*?)\n```/g)];
    expect(blocks.map((b) => b[1])).toEqual([
      "examples/readme/quickstart.ts",
      "examples/readme/unit-test-double.ts",
      "examples/readme/job-management.ts",
      "examples/readme/iterate.ts",
      "examples/readme/kafka-subscriber.ts",
    ]);
    for (const [, file, code] of blocks) {
      expect(code).toBe(readFileSync(join(root, file), "utf8").trimEnd());
    }
  });

  it("quickstart: registers, pauses, resumes, runs a day and reads back", async () => {
    expect(await quickstart()).toEqual(["pending", "succeeded", "1"]);
  });

  it("unit-test double: a failed attempt, its retry one second later, two events", async () => {
    expect(await unitTestDouble()).toEqual([
      "2030-01-01T03:30:00.000Z attempt 1: failed (database busy)",
      "2030-01-01T03:30:01.000Z attempt 2: succeeded",
      "events: 2",
    ]);
  });

  it("job management: ensure twice, update, upcoming fires, run now, delete twice", async () => {
    expect(await jobManagement()).toEqual(["created", "unchanged", "2030-01-02T00:00:00.000Z", "2030-01-03T00:00:00.000Z", "manual succeeded"]);
  });

  it("iterate: stops after 120 of 250 jobs", async () => {
    expect(await iterate()).toEqual(["tenant-0-sync", "tenant-119-sync", "120"]);
  });

  (process.env.KAFKA_BROKERS ? it : it.skip)("kafka subscriber: three interval executions arrive through Kafka", async () => {
    expect(await kafkaSubscriber(process.env.KAFKA_BROKERS!.split(","))).toEqual(["health-sync succeeded", "health-sync succeeded", "health-sync succeeded"]);
  }, 60_000);

  it("has a status table that matches the engine's rules", () => {
    const rows = tableAfter("status-table");
    expect(rows.map((r) => r[0]).sort()).toEqual([...JOB_STATUSES].sort());
    for (const [status, ...cells] of rows) {
      const rules = TRANSITION_RULES[status as (typeof JOB_STATUSES)[number]];
      const expected = (["pause", "resume", "cancel", "update", "trigger", "delete"] as const).map((op) => {
        const rule = rules[op];
        if (rule === "noop") return "no-op";
        if (rule === "invalid") return "INVALID_STATE";
        if (rule === "overlap") return "by overlap policy";
        return rule === "deleted" ? "deleted" : rule.to;
      });
      expect(cells).toEqual(expected);
    }
  });

  it("has an error table with exactly the error codes", () => {
    expect(tableAfter("error-table").map((r) => r[0])).toEqual([...SCHEDULER_ERROR_CODES]);
  });

  it("states the defaults the code uses", () => {
    expect(readme).toContain(`| \`timeoutMs\` | \`${DEFAULT_TIMEOUT_MS}\` |`);
    expect(readme).toContain(`(default ${DEFAULTS.maxRetries})`);
    expect(readme).toContain(`(default ${DEFAULTS.timeoutSecs})`);
  });
});
