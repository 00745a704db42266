import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { JobStatus } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { encodeJobCompletedEvent, GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { brokers, freshTopic, produce } from "../support/kafka.js";

const root = join(__dirname, "../..");
const tsx = join(root, "node_modules/tsx/dist/cli.mjs");
const main = join(root, "src/cli/main.ts");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `k1s0-scheduler ...args` as its own process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return run(process.execPath, [tsx, main, ...args], env);
}

/** Runs a command in the repository and collects what it printed. */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, SCHEDULER_URL: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

/** Starts a long-running CLI command and resolves with the process and its first output line. */
async function start(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; first: string; lines: string[] }> {
  const child = spawn(process.execPath, [tsx, main, ...args], { cwd: root, env: { ...process.env } });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    rl.on("line", (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(line);
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before printing`)));
  });
  return { child, first, lines };
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

jest.setTimeout(90_000);

describe("k1s0-scheduler CLI (run as a process)", () => {
  it("prints usage with --help (exit 0) and without a command (exit 2)", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("k1s0-scheduler <command>");
    expect(help.stdout).toContain("Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 job not found, 4 invalid request,\n5 a job with the key already exists.");
    expect((await cli([])).code).toBe(2);
    expect((await cli(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("runs in a clone without a build, as the README shows: npm run cli -- ...", async () => {
    const result = await run("npm", ["run", "--silent", "cli", "--", "cron", "next", "0 2 * * *", "--tz", "Asia/Tokyo", "--from", "2040-01-01T00:00:00Z", "-n", "1"]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^2040-01-01T17:00:00.000Z/) });
  });

  it("reports usage errors as one line with exit 2", async () => {
    for (const args of [["nope"], ["jobs"], ["jobs", "list", "--bogus"], ["jobs", "create", "--name", "x"], ["jobs", "create", "--name", "x", "--every", "soon"], ["cron", "next"]]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr.split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/^error: .*\(see k1s0-scheduler --help\)$/);
    }
  });

  it("previews cron fire times offline, DST-correct, as text and JSON", async () => {
    const text = await cli(["cron", "next", "30 2 * * *", "--tz", "America/New_York", "--from", "2040-03-09T00:00:00Z", "-n", "3"]);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")).toEqual([
      "2040-03-09T07:30:00.000Z  2040-03-09 02:30:00 America/New_York",
      "2040-03-10T07:30:00.000Z  2040-03-10 02:30:00 America/New_York",
      "2040-03-11T07:00:00.000Z  2040-03-11 03:00:00 America/New_York",
    ]);
    const json = await cli(["cron", "next", "0 9 * * MON", "--from", "2040-01-01T00:00:00Z", "-n", "2", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(["2040-01-02T09:00:00.000Z", "2040-01-09T09:00:00.000Z"]);
    const bad = await cli(["cron", "next", "61 * * * *"]);
    expect([bad.code, bad.stderr]).toEqual([4, expect.stringMatching(/^error: INVALID_SCHEDULE: schedule.expression is not a valid cron expression/)]);
  });

  it("manages jobs end to end against dev-server", async () => {
    const server = await start(["dev-server", "--port", "0", "--json"]);
    try {
      const { url } = JSON.parse(server.first) as { url: string };
      const created = await cli(["jobs", "create", "--name", "cli-job", "--every", "200ms", "--payload", '{"tenant":"T-1"}', "--max-retries", "2", "--json", "--server", url]);
      expect(created.code).toBe(0);
      const job = JSON.parse(created.stdout) as { id: string; status: string; payload: unknown; maxRetries: number };
      expect(job).toMatchObject({ status: "pending", payload: { tenant: "T-1" }, maxRetries: 2 });

      // SCHEDULER_URL is used when --server is not given.
      const list = await cli(["jobs", "list"], { SCHEDULER_URL: url });
      expect(list.code).toBe(0);
      expect(list.stdout.split("\n")[0]).toMatch(/^id\s+name\s+schedule\s+status\s+next run$/);
      expect(list.stdout).toMatch(new RegExp(`${job.id}\\s+cli-job\\s+every 200ms\\s+pending`));

      const got = await cli(["jobs", "get", job.id, "--server", url]);
      expect(got.stdout).toMatch(/^id\s+\S+\nname\s+cli-job\nschedule\s+every 200ms\nstatus\s+pending/);

      // Real time (the dev server runs the system clock): wait, bounded, for an execution.
      let executions: { result: string }[] = [];
      for (let i = 0; i < 100 && executions.length === 0; i++) {
        executions = JSON.parse((await cli(["executions", job.id, "--json", "--server", url])).stdout) as { result: string }[];
      }
      expect(executions[0]).toMatchObject({ result: "succeeded" });

      expect((await cli(["jobs", "pause", job.id, "--server", url])).stdout).toBe(`${job.id} paused`);
      expect((await cli(["jobs", "resume", job.id, "--server", url])).stdout).toBe(`${job.id} pending`);
      expect((await cli(["jobs", "cancel", job.id, "--server", url])).stdout).toBe(`${job.id} cancelled`);

      const missing = await cli(["jobs", "get", "no-such-job", "--server", url]);
      expect([missing.code, missing.stderr]).toEqual([3, "error: JOB_NOT_FOUND: job no-such-job not found"]);
      const invalid = await cli(["jobs", "create", "--name", "bad", "--cron", "61 * * * *", "--server", url]);
      expect(invalid.code).toBe(4);
      const state = await cli(["jobs", "pause", job.id, "--server", url]);
      expect([state.code, state.stderr]).toEqual([1, expect.stringMatching(/^error: INVALID_STATE: cannot pause job .*: it is cancelled$/)]);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });

  it("registers by key, ensures, updates, triggers, deletes and shows upcoming fires against dev-server", async () => {
    const server = await start(["dev-server", "--port", "0", "--json"]);
    try {
      const { url } = JSON.parse(server.first) as { url: string };
      const at = ["--server", url];
      const daily = ["--name", "tokyo-report", "--cron", "0 9 * * *", "--tz", "Asia/Tokyo"];
      const created = await cli(["jobs", "create", ...daily, "--key", "report/T-1", "--overlap", "buffer_one", "--json", ...at]);
      expect(created.code).toBe(0);
      const job = JSON.parse(created.stdout) as { id: string; key: string; overlap: string };
      expect(job).toMatchObject({ key: "report/T-1", overlap: "buffer_one" });

      const taken = await cli(["jobs", "create", ...daily, "--key", "report/T-1", ...at]);
      expect([taken.code, taken.stderr]).toEqual([5, expect.stringMatching(new RegExp(`^error: JOB_ALREADY_EXISTS: .*${job.id}$`))]);

      const same = await cli(["jobs", "ensure", ...daily, "--key", "report/T-1", "--overlap", "buffer_one", ...at]);
      expect(same.stdout.split("\n").slice(0, 2)).toEqual(["unchanged", `id           ${job.id}`]);
      const changed = JSON.parse((await cli(["jobs", "ensure", ...daily, "--key", "report/T-1", "--max-retries", "2", "--json", ...at])).stdout) as {
        outcome: string;
        job: { id: string; maxRetries: number; overlap: string };
      };
      expect(changed).toMatchObject({ outcome: "updated", job: { id: job.id, maxRetries: 2, overlap: "skip" } });
      const other = await cli(["jobs", "ensure", ...daily, "--key", "report/T-2", ...at]);
      expect(other.stdout.split("\n")[0]).toBe("created");
      expect((await cli(["jobs", "list", "--key", "report/T-2", "--json", ...at])).stdout).toContain('"key": "report/T-2"');

      // Upcoming fires, computed by the server: 09:00 in Tokyo is 00:00 UTC.
      const got = await cli(["jobs", "get", job.id, ...at]);
      const upcoming = got.stdout.split("\n").filter((l) => l.startsWith("upcoming"));
      expect(upcoming).toHaveLength(5);
      expect(upcoming.every((l) => /^upcoming\s+\d{4}-\d\d-\d\dT00:00:00\.000Z$/.test(l))).toBe(true);
      const fires = (JSON.parse((await cli(["jobs", "get", job.id, "--fires", "2", "--json", ...at])).stdout) as { upcomingFires: string[] }).upcomingFires;
      expect(fires).toHaveLength(2);
      expect(Date.parse(fires[1]) - Date.parse(fires[0])).toBe(86_400_000);

      const updated = JSON.parse((await cli(["jobs", "update", job.id, "--name", "renamed", "--every", "1h", "--end-at", "2100-01-01T00:00:00Z", "--json", ...at])).stdout) as {
        name: string;
        schedule: unknown;
        endAt: string;
      };
      expect(updated).toMatchObject({ name: "renamed", schedule: { type: "interval", intervalMs: 3_600_000 }, endAt: "2100-01-01T00:00:00.000Z" });
      expect(JSON.parse((await cli(["jobs", "update", job.id, "--end-at", "none", "--json", ...at])).stdout)).not.toHaveProperty("endAt");

      const triggered = await cli(["jobs", "trigger", job.id, ...at]);
      expect(triggered.stdout).toMatch(/^\S+ {2}manual {2}attempt 1 {2}succeeded {2}\d{4}-/);
      expect((await cli(["executions", job.id, ...at])).stdout).toMatch(/\s1\s+manual\s+succeeded\s/);

      expect((await cli(["jobs", "delete", job.id, ...at])).stdout).toBe(`${job.id} deleted`);
      expect((await cli(["jobs", "delete", job.id, ...at])).code).toBe(0);
      expect((await cli(["jobs", "get", job.id, ...at])).code).toBe(3);

      for (const args of [
        ["jobs", "ensure", "--name", "x", "--every", "1m"],
        ["jobs", "update", job.id],
        ["jobs", "update", job.id, "--key", "k"],
        ["jobs", "create", "--name", "x", "--every", "1m", "--overlap", "sometimes"],
        ["jobs", "create", "--name", "x", "--every", "1m", "--start-at", "tomorrow"],
        ["jobs", "create", "--name", "x", "--every", "1m", "--at", "2100-01-01T00:00:00Z"],
        ["jobs", "get", job.id, "--fires", "0"],
      ]) {
        const result = await cli([...args, ...at]);
        expect([args, result.code]).toEqual([args, 2]);
      }
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });

  it("shows a job from a server without GetUpcomingFires (0.1.0), saying its fire times are unavailable", async () => {
    // A real Connect server implementing GetJob only: every other method answers UNIMPLEMENTED.
    const old = http2.createServer(
      connectNodeAdapter({
        routes: (router) =>
          router.service(SchedulerService, {
            getJob: (req) => ({
              job: {
                id: req.jobId,
                name: "old-server-job",
                schedule: { kind: { case: "interval", value: { interval: durationFromMs(60_000) } } },
                status: JobStatus.PENDING,
                payloadJson: "null",
                timeoutSecs: 60,
                createdAt: timestampFromMs(Date.UTC(2040, 0, 1)),
              },
            }),
          }),
      }),
    );
    await new Promise<void>((resolve) => old.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
    try {
      const text = await cli(["jobs", "get", "job-1", "--server", url]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^name\s+old-server-job$/m);
      expect(text.stdout).toMatch(/^upcoming\s+unavailable \(SERVER_ERROR: .*\)$/m);
      const json = JSON.parse((await cli(["jobs", "get", "job-1", "--json", "--server", url])).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ id: "job-1", overlap: "skip", upcomingFiresError: expect.stringMatching(/^SERVER_ERROR: /) });
      expect(json).not.toHaveProperty("upcomingFires");
    } finally {
      await new Promise<void>((resolve) => old.close(() => resolve()));
    }
  });

  it("fails with exit 1 and one line when no server answers", async () => {
    const result = await cli(["jobs", "list", "--server", "http://127.0.0.1:9", "--timeout-ms", "2000"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: SERVER_ERROR: /);
    expect(result.stderr.split("\n")).toHaveLength(1);
  });

  (brokers ? it : it.skip)("tails job-completed events published by dev-server --kafka", async () => {
    const topic = await freshTopic();
    const server = await start(["dev-server", "--port", "0", "--json", "--kafka", brokers!.join(","), "--topic", topic]);
    try {
      const { url } = JSON.parse(server.first) as { url: string };
      const tail = cli(["events", "tail", "--brokers", brokers!.join(","), "--topic", topic, "--from-beginning", "--max-events", "2", "--json", "--group", `cli-${randomUUID()}`]);
      const created = await cli(["jobs", "create", "--name", "tailed", "--every", "100ms", "--json", "--server", url]);
      const { id } = JSON.parse(created.stdout) as { id: string };
      const result = await tail;
      expect(result.code).toBe(0);
      const events = result.stdout.split("\n").map((l) => JSON.parse(l) as { jobId: string; jobName: string; result: string });
      expect(events).toHaveLength(2);
      expect(events.every((e) => e.jobId === id && e.jobName === "tailed" && e.result === "succeeded")).toBe(true);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });
});

describe("events lag and events tail --lag (run as a process, real broker)", () => {
  (brokers ? it : it.skip)("events lag prints a group's lag per partition (table and --json); tail --lag prints it on stderr", async () => {
    const topic = await freshTopic(2);
    const groupId = `cli-lag-${randomUUID()}`;
    const event = (n: number) => encodeJobCompletedEvent({ jobId: `job-${n}`, executionId: `exec-${n}-${randomUUID()}`, completedAt: new Date(), result: "succeeded", jobName: "lag", attempt: 1 });
    await produce(topic, [0, 1, 2].map((n) => ({ partition: n % 2, ...event(n) })));
    const tail = await cli(["events", "tail", "--brokers", brokers!.join(","), "--topic", topic, "--group", groupId, "--from-beginning", "--max-events", "3", "--lag"]);
    expect(tail.code).toBe(0);
    expect(tail.stdout.split("\n")).toHaveLength(3);
    expect(tail.stderr).toMatch(/^lag \d+ \(partition 0: \d+, partition 1: \d+\)$/m);
    await produce(topic, [3, 4].map((n) => ({ partition: 1, ...event(n) })));

    const table = await cli(["events", "lag", "--topic", topic, "--group", groupId], { KAFKA_BROKERS: brokers!.join(",") });
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n").map((l) => l.trim().split(/\s+/))).toEqual([
      ["partition", "committed", "end", "lag"],
      ["---------", "---------", "---", "---"],
      ["0", "2", "2", "0"],
      ["1", "1", "3", "2"],
      ["total", "lag:", "2", "events"],
    ]);
    const json = await cli(["events", "lag", "--brokers", brokers!.join(","), "--topic", topic, "--group", groupId, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual([
      { topic, partition: 0, committed: 2, end: 2, lag: 0 },
      { topic, partition: 1, committed: 1, end: 3, lag: 2 },
    ]);
  });

  it("events lag without --group or brokers is a usage error", async () => {
    const noGroup = await cli(["events", "lag", "--brokers", "127.0.0.1:9"]);
    expect([noGroup.code, noGroup.stderr]).toEqual([2, expect.stringContaining("events lag needs --group")]);
    const noBrokers = await cli(["events", "lag", "--group", "g"], { KAFKA_BROKERS: "" });
    expect(noBrokers.code).toBe(2);
    const unknown = await cli(["events", "head"]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('unknown events action "head"')]);
  });
});

describe("dev-server limit flags (run as a process)", () => {
  it("passes --max-jobs and --max-stored-bytes to the server, and refuses bad values as usage errors", async () => {
    const { child, first } = await start(["dev-server", "--port", "0", "--json", "--max-jobs", "2", "--max-stored-bytes", "100"]);
    const { url } = JSON.parse(first) as { url: string };
    const client = new GrpcSchedulerClient(url, { retry: false });
    try {
      const create = (payload: unknown) => client.createJob({ name: "j", schedule: { type: "interval", intervalMs: 60_000 }, payload });
      const tooBig = (await create("x".repeat(100)).catch((e: unknown) => e)) as SchedulerError;
      expect([tooBig.code, tooBig.message]).toEqual(["RESOURCE_EXHAUSTED", expect.stringContaining("maxStoredBytes = 100")]);
      await create(1);
      await create(2);
      const tooMany = (await create(3).catch((e: unknown) => e)) as SchedulerError;
      expect([tooMany.code, tooMany.message]).toEqual(["RESOURCE_EXHAUSTED", expect.stringContaining("maxJobs = 2")]);
    } finally {
      await client.close();
      await stop(child);
    }
    for (const bad of [["--max-jobs", "0"], ["--max-stored-bytes", "1.5"]]) {
      const result = await cli(["dev-server", "--port", "0", ...bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(bad[0]);
    }
  });
});
