/**
 * The command line run in process (`runCli` with captured output): per-command help, option
 * checking, payload files. The end-to-end behaviour (a real process, exit codes, signals) is in
 * cli.test.ts; this file also makes src/cli count in the coverage figures.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { encodeJobCompletedEvent } from "@k1s0/scheduler-client";
import { formatTable } from "../../src/cli/format-table.js";
import { runCli } from "../../src/cli/main.js";
import { freshTopic, produce } from "../support/kafka.js";
import { duration } from "../../src/cli/render.js";

async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => void out.push(l), err: (l) => void err.push(l), env, stopped: new Promise(() => undefined) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("per-command help", () => {
  it.each([
    [["jobs", "create", "--help"], ["--every DURATION", "500ms, 30s, 10m, 2h, 1d", "0 to 100", "1 to 86400", "--payload-file", "--server URL"]],
    [["jobs", "update", "-h"], ["--start-at none", "--timeout-ms N"]],
    [["jobs", "--help"], ["jobs ensure --key K", "jobs <action> --help"]],
    [["cron", "next", "--help"], ["-n N", "1 to 1000", "IANA time zone"]],
    [["events", "tail", "--help"], ["$KAFKA_BROKERS", "--lag"]],
    [["events", "lag", "--help"], ["--group G", "$KAFKA_BROKERS"]],
    [["dev-server", "--help"], ["lives\n  in memory", "--max-stored-bytes N"]],
    [["executions", "--help"], ["executions <jobId>", "--server URL"]],
  ])("%j shows that command's options", async (args, expected) => {
    const { code, out } = await run(args);
    expect(code).toBe(0);
    for (const text of expected) expect(out).toContain(text);
    expect(out).not.toContain("Commands:");
  });

  it("falls back to the general usage for an unknown command", async () => {
    expect((await run(["nope", "--help"])).out).toContain("Commands:");
  });
});

describe("option checking (exit 2, one line naming the option and the value)", () => {
  it.each([
    [["jobs", "create", "--name", "x", "--every", "10"], '--every must be a duration with a unit such as 30s, 10m, 2h, 1d or 500ms, got "10" (a unit is required'],
    [["jobs", "create", "--name", "x", "--every", "10 m"], '--every must be a duration with a unit such as 30s, 10m, 2h, 1d or 500ms, got "10 m"'],
    [["jobs", "create", "--name", "x", "--at", "2030-01-01T09:00:00"], '--at must be an ISO 8601 time with Z or an offset, such as 2040-03-10T12:00:00Z or 2040-03-10T21:00:00+09:00, got "2030-01-01T09:00:00"'],
    [["jobs", "create", "--name", "x", "--at", "tomorrow"], '--at must be an ISO 8601 time with Z or an offset'],
    [["jobs", "create", "--name", "x", "--every", "1m", "--max-retries", "-1"], '--max-retries needs a value (to pass one that starts with "-", write --max-retries=-VALUE)'],
    [["jobs", "create", "--name", "x", "--every", "1m", "--max-retries=-1"], '--max-retries must be a whole number from 0 to 100, got "-1"'],
    [["jobs", "create", "--name", "x", "--every", "1m", "--max-retries", "101"], '--max-retries must be a whole number from 0 to 100, got "101"'],
    [["jobs", "create", "--name", "x", "--every", "1m", "--timeout-secs", "0"], '--timeout-secs must be a whole number from 1 to 86400, got "0"'],
    [["jobs", "create", "--bogus", "1"], "unknown option --bogus"],
    [["jobs", "create", "--name"], "--name needs a value"],
    [["cron", "next", "0 2 * * *", "-n", "0"], '-n must be a whole number from 1 to 1000, got "0"'],
    [["cron", "next", "0 2 * * *", "--from", "2040-01-01"], '--from must be an ISO 8601 time with Z or an offset'],
    [["jobs", "list", "--server", "ftp://scheduler:8080"], '--server must be an http:// or https:// URL, got "ftp://scheduler:8080"'],
    [["jobs", "list", "--server", "scheduler:8080:x"], '--server must be'],
    [["jobs", "create", "--name", "x", "--every", "1m", "--payload", "1", "--payload-file", "p.json"], "give --payload or --payload-file, not both"],
    [["jobs", "create", "--name", "x", "--every", "1m", "--payload-file", "/no/such/file.json"], "--payload-file /no/such/file.json: ENOENT"],
  ])("%j", async (args, message) => {
    const { code, err } = await run(args);
    expect(err).toBe(`error: ${err.slice(7)}`);
    expect(err).toContain(message);
    expect(err.split("\n")).toHaveLength(1);
    expect(code).toBe(2);
  });

  it("--tz takes IANA names only (the library's rule): JST is an invalid request, exit 4", async () => {
    const { code, err } = await run(["cron", "next", "0 2 * * *", "--tz", "JST"]);
    expect([code, err]).toEqual([4, expect.stringContaining('schedule.timezone must be an IANA time zone such as "Asia/Tokyo", got "JST"')]);
  });

  it("dev-server --kafka without a broker says it is Kafka that did not answer (exit 1)", async () => {
    const { code, err } = await run(["dev-server", "--port", "0", "--kafka", "127.0.0.1:1"]);
    expect(code).toBe(1);
    expect(err).toContain("the Kafka brokers given by --kafka (127.0.0.1:1) did not answer");
  }, 60_000);
});

describe("payloads from a file, and what the tables show", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
  });
  afterAll(() => server.close());

  it("--payload-file reads a payload too long for a command line (750 KB; Linux takes 128 KiB per argument), and reports bad JSON in it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k1s0-cli-"));
    const big = { rows: Array.from({ length: 15_000 }, (_, i) => `row-${i}-${"x".repeat(40)}`) };
    writeFileSync(join(dir, "big.json"), JSON.stringify(big));
    expect(JSON.stringify(big).length).toBeGreaterThan(700_000);
    const created = await run(["jobs", "create", "--name", "big", "--every", "10m", "--payload-file", join(dir, "big.json"), "--json", "--server", server.url]);
    expect(created.code).toBe(0);
    expect((JSON.parse(created.out) as { payload: unknown }).payload).toEqual(big);
    writeFileSync(join(dir, "bad.json"), "{ nope");
    const bad = await run(["jobs", "create", "--name", "bad", "--every", "10m", "--payload-file", join(dir, "bad.json"), "--server", server.url]);
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining(`--payload-file must be JSON`)]);
  });

  it("shows intervals in units and cron jobs with their zone", async () => {
    await run(["jobs", "create", "--name", "ten-minutes", "--every", "10m", "--server", server.url]);
    await run(["jobs", "create", "--name", "nightly", "--cron", "0 2 * * *", "--server", server.url]);
    const { code, out } = await run(["jobs", "list", "--server", server.url]);
    expect(code).toBe(0);
    expect(out).toMatch(/ten-minutes\s+every 10m\s/);
    expect(out).toMatch(/nightly\s+cron "0 2 \* \* \*" UTC\s/);
  });

  it("walks a job through every jobs action and executions, as tables and as JSON", async () => {
    const at = { "--server": server.url };
    const opts = Object.entries(at).flat();
    const ensured = await run(["jobs", "ensure", "--key", "walk", "--name", "walk", "--every", "1h", "--payload", '{"a":1}', ...opts]);
    expect(ensured.code).toBe(0);
    expect(ensured.out.split("\n")[0]).toBe("created");
    const id = /^id\s+(\S+)$/m.exec(ensured.out)![1];
    expect((await run(["jobs", "ensure", "--key", "walk", "--name", "walk", "--every", "1h", "--payload", '{"a":1}', ...opts])).out.split("\n")[0]).toBe("unchanged");
    expect((await run(["jobs", "ensure", "--key", "walk", "--name", "walk", "--every", "2h", "--payload", '{"a":1}', "--json", ...opts])).out).toContain('"outcome": "updated"');
    const again = await run(["jobs", "create", "--key", "walk", "--name", "walk", "--every", "1h", ...opts]);
    expect([again.code, again.err]).toEqual([5, expect.stringContaining("JOB_ALREADY_EXISTS")]);
    const got = await run(["jobs", "get", id, "--fires", "2", ...opts]);
    expect(got.out).toMatch(/schedule\s+every 2h/);
    expect(got.out).toContain("2030-01-01T02:00:00.000Z");
    expect(JSON.parse((await run(["jobs", "get", id, "--json", ...opts])).out)).toMatchObject({ id, key: "walk", upcomingFires: expect.any(Array) });
    const updated = await run(["jobs", "update", id, "--name", "walked", "--max-retries", "2", "--timeout-secs", "30", "--overlap", "allow_all", "--start-at", "2030-01-01T00:00:00Z", "--end-at", "2031-01-01T00:00:00Z", ...opts]);
    expect(updated.code).toBe(0);
    expect(updated.out).toMatch(/name\s+walked/);
    expect((await run(["jobs", "update", id, "--end-at", "none", "--json", ...opts])).code).toBe(0);
    expect((await run(["jobs", "update", id, ...opts])).err).toContain("jobs update needs at least one option to change");
    expect((await run(["jobs", "update", id, "--key", "other", ...opts])).err).toContain("--key cannot be changed");
    expect((await run(["jobs", "update", id, "--overlap", "sometimes", ...opts])).err).toContain('--overlap must be one of skip, buffer_one, allow_all, got "sometimes"');
    const triggered = await run(["jobs", "trigger", id, ...opts]);
    expect([triggered.code, triggered.out]).toEqual([0, expect.stringContaining("manual")]);
    expect(JSON.parse((await run(["jobs", "trigger", id, "--json", ...opts])).out)).toMatchObject({ jobId: id });
    await server.advanceTime(1_000);
    const executions = await run(["executions", id, ...opts]);
    expect(executions.out).toMatch(/manual/);
    expect(JSON.parse((await run(["executions", id, "--json", ...opts])).out)).toHaveLength(2);
    for (const action of ["pause", "resume"]) expect((await run(["jobs", action, id, ...opts])).out).toMatch(new RegExp(`^${id} (paused|pending|running)$`));
    expect(JSON.parse((await run(["jobs", "list", "--key", "walk", "--status", "pending", "--prefix", "walk", "--json", ...opts])).out)).toHaveLength(1);
    expect((await run(["jobs", "list", "--status", "sleeping", ...opts])).err).toContain("--status must be one of");
    expect((await run(["jobs", "list", "--prefix", "no-such-", ...opts])).out).toBe("no jobs");
    expect((await run(["jobs", "cancel", id, "--json", ...opts])).out).toContain('"status": "cancelled"');
    expect((await run(["jobs", "delete", id, ...opts])).out).toBe(`${id} deleted`);
    expect((await run(["jobs", "delete", id, "--json", ...opts])).out).toContain('"deleted": true');
    const gone = await run(["jobs", "get", id, ...opts]);
    expect([gone.code, gone.err]).toEqual([3, expect.stringContaining("JOB_NOT_FOUND")]);
    expect((await run(["executions", "no-such-job", ...opts])).code).toBe(3);
    const oneShot = await run(["jobs", "create", "--name", "once", "--at", "2030-01-01T09:00:00+09:00", "--json", ...opts]);
    expect(JSON.parse(oneShot.out)).toMatchObject({ schedule: { type: "one_shot", runAt: "2030-01-01T00:00:00.000Z" } });
    expect((await run(["jobs", "create", "--name", "two", "--every", "1m", "--cron", "* * * * *", ...opts])).err).toContain("give one of --cron, --at or --every");
    expect((await run(["jobs", "create", "--name", "tz", "--every", "1m", "--tz", "UTC", ...opts])).err).toContain("--tz goes with --cron");
    expect((await run(["jobs", "ensure", "--name", "nokey", "--every", "1m", ...opts])).err).toContain("jobs ensure needs --key");
    expect((await run(["jobs", "frobnicate", ...opts])).err).toContain('unknown jobs action "frobnicate"');
  });

  it("cron next prints fire times in UTC and in the zone, or JSON", async () => {
    const text = await run(["cron", "next", "30 2 * * *", "--tz", "America/New_York", "-n", "2", "--from", "2040-03-10T00:00:00Z"]);
    expect(text.out.split("\n")).toHaveLength(2);
    expect(text.out).toContain("America/New_York");
    expect(JSON.parse((await run(["cron", "next", "0 0 * * *", "-n", "1", "--from", "2040-01-01T00:00:00Z", "--json"])).out)).toEqual(["2040-01-02T00:00:00.000Z"]);
    expect((await run(["cron", "prev", "x"])).err).toContain('unknown cron action "prev"');
  });

  it.each([
    [600_000, "10m"],
    [5_400_000, "1h30m"],
    [86_400_000 + 1_000, "1d1s"],
    [1_500, "1500ms"],
    [0, "0s"],
  ])("duration(%d) = %s", (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});

describe("the rest of the command line, in process", () => {
  it("without a command prints the usage (exit 2); help and --version exit 0", async () => {
    const none = await run([]);
    expect([none.code, none.out]).toEqual([2, expect.stringContaining("Commands:")]);
    expect((await run(["help"])).code).toBe(0);
    const version = await run(["--version"]);
    expect([version.code, version.out]).toEqual([0, expect.stringMatching(/^\d+\.\d+\.\d+/)]);
    const unknown = await run(["frob"]);
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining('unknown command "frob"')]);
  });

  it.each([[["--json"]], [[]]])("dev-server %j listens until asked to stop", async (extra) => {
    const out: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = runCli(["dev-server", "--port", "0", "--max-jobs", "5", ...extra], { out: (l) => void out.push(l), err: () => undefined, env: {}, stopped });
    const deadline = Date.now() + 10_000;
    while (out.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const url = extra.length > 0 ? (JSON.parse(out[0]) as { url: string }).url : /listening on (\S+)/.exec(out[0])![1];
    const listed = await run(["jobs", "list", "--server", url]);
    expect([listed.code, listed.out]).toEqual([0, "no jobs"]);
    stop();
    expect(await running).toBe(0);
    if (extra.length === 0) expect(out.at(-1)).toBe("scheduler dev server stopped");
  });

  it("events actions need brokers and a group", async () => {
    expect((await run(["events", "tail"], { KAFKA_BROKERS: "" })).err).toContain("events tail needs --brokers (or KAFKA_BROKERS)");
    expect((await run(["events", "lag", "--brokers", "127.0.0.1:9"])).err).toContain("events lag needs --group");
    expect((await run(["events"])).err).toContain("events needs an action: tail or lag");
  });

  const brokers = process.env.KAFKA_BROKERS;
  (brokers ? it : it.skip)("events tail (text and --json, with --lag) and events lag (table and --json) against the broker", async () => {
    const topic = await freshTopic();
    const event = (n: number) => encodeJobCompletedEvent({ jobId: `job-${n}`, executionId: `exec-${n}`, completedAt: new Date("2040-01-01T00:00:00Z"), result: "failed", error: "boom", jobName: "tail", attempt: 2 });
    await produce(topic, [event(1), event(2)]);
    const group = `cli-in-process-${Date.now()}`;
    const text = await run(["events", "tail", "--topic", topic, "--group", group, "--from-beginning", "--max-events", "1", "--lag"], { KAFKA_BROKERS: brokers });
    expect(text.code).toBe(0);
    expect(text.out).toBe("2040-01-01T00:00:00.000Z  tail  failed  attempt 2  job-1  exec-1  boom");
    expect(text.err).toMatch(/^lag \d+ \(partition 0: \d+\)$/m);
    const json = await run(["events", "tail", "--brokers", brokers!, "--topic", topic, "--from-beginning", "--max-events", "2", "--json"]);
    expect(json.out.split("\n").map((l) => (JSON.parse(l) as { executionId: string }).executionId)).toEqual(["exec-1", "exec-2"]);
    const table = await run(["events", "lag", "--brokers", brokers!, "--topic", topic, "--group", group]);
    expect([table.code, table.out]).toEqual([0, expect.stringMatching(/^partition\s+committed\s+end\s+lag\n/)]);
    expect(table.out).toMatch(/total lag: \d+ events$/);
    const none = await run(["events", "lag", "--brokers", brokers!, "--topic", topic, "--group", `${group}-never`, "--json"]);
    expect(JSON.parse(none.out)).toEqual([{ topic, partition: 0, committed: -1, end: 2, lag: 2 }]);
  }, 60_000);

  it("formatTable leaves a missing cell empty", () => {
    expect(formatTable([{ a: "1" }, { a: "22", b: "x" }], ["a", "b"])).toBe("a   b\n--  -\n1\n22  x");
  });
});
