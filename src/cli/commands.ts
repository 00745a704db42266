import { randomUUID } from "node:crypto";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SchedulerError } from "../errors/scheduler-error.js";
import { GrpcSchedulerClient } from "../grpc/grpc-scheduler-client.js";
import { KafkaJobCompletedSubscriber } from "../kafka/kafka-job-completed-subscriber.js";
import { createTestServer } from "../testing/test-server.js";
import { JOB_STATUSES, type JobFilter, type JobRequest, type JobStatus, OVERLAP_POLICIES, type OverlapPolicy } from "../types/job.js";
import type { JobChanges } from "../types/job-changes.js";
import type { Schedule } from "../types/schedule.js";
import { LIMITS } from "../validation/limits.js";
import { validateSchedule } from "../validation/schedule-rules.js";
import { nextCronFire, DEFAULT_TIME_ZONE } from "../schedule/cron-expression.js";
import { UsageError } from "./cli-error.js";
import { dateOption, durationOption, intOption, noPositionals, onePositional, parseArgsMessage, payloadOption, serverOption } from "./options.js";
import { eventLine, executionLine, executionsTable, jobDetails, jobsTable, lagLine, lagTable, toJson } from "./render.js";
import { messageOf } from "../internal/message-of.js";

/** Options every command accepts. */
const GLOBAL_OPTIONS = {
  server: { type: "string" },
  json: { type: "boolean" },
  "timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** Parses `args` strictly; unknown options and missing values are usage errors. */
function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
}

/** What a command may use from its surroundings (a process, or a test). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopped: Promise<void>;
}

/** The default scheduler address: $SCHEDULER_URL, else the developer port. */
export const DEFAULT_SERVER = "http://localhost:8093";

function client(values: { server?: string | undefined; "timeout-ms"?: string | undefined }, io: CliIo): GrpcSchedulerClient {
  const timeoutMs = intOption("timeout-ms", values["timeout-ms"], 10_000, 1, 3_600_000);
  return new GrpcSchedulerClient(serverOption(values.server ?? (io.env.SCHEDULER_URL || undefined) ?? DEFAULT_SERVER), { timeoutMs });
}

async function withClient<T>(c: GrpcSchedulerClient, work: (c: GrpcSchedulerClient) => Promise<T>): Promise<T> {
  try {
    return await work(c);
  } finally {
    await c.close();
  }
}

/** Options of `jobs create`, `jobs ensure` and `jobs update`: what a job is. */
const JOB_OPTIONS = {
  name: { type: "string" },
  cron: { type: "string" },
  tz: { type: "string" },
  at: { type: "string" },
  every: { type: "string" },
  payload: { type: "string" },
  "payload-file": { type: "string" },
  "max-retries": { type: "string" },
  "timeout-secs": { type: "string" },
  key: { type: "string" },
  overlap: { type: "string" },
  "start-at": { type: "string" },
  "end-at": { type: "string" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

type JobValues = { [K in keyof typeof JOB_OPTIONS]?: string | undefined };

/** `jobs list|get|create|ensure|update|trigger|delete|pause|resume|cancel` */
export async function jobsCommand(args: string[], io: CliIo): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case "list": {
      const { values, positionals } = parse(rest, { status: { type: "string" }, prefix: { type: "string" }, key: { type: "string" } });
      noPositionals(positionals);
      if (values.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(values.status)) {
        throw new UsageError(`--status must be one of ${JOB_STATUSES.join(", ")}, got "${values.status}"`);
      }
      const filter: JobFilter = {
        ...(values.status === undefined ? {} : { status: values.status as JobStatus }),
        ...(values.prefix === undefined ? {} : { namePrefix: values.prefix }),
        ...(values.key === undefined ? {} : { key: values.key }),
      };
      const jobs = await withClient(client(values, io), (c) => c.listJobs(filter));
      io.out(values.json ? toJson(jobs) : jobs.length === 0 ? "no jobs" : jobsTable(jobs));
      return;
    }
    case "get": {
      const { values, positionals } = parse(rest, { fires: { type: "string" } });
      const id = onePositional(positionals, "job id");
      const count = intOption("fires", values.fires, 5, 1, 100);
      const [job, fires] = await withClient(client(values, io), (c) => Promise.all([c.getJob(id), firesOrError(c.getUpcomingFires(id, count))]));
      // The fire times are extra: a server older than GetUpcomingFires (0.1.0) still shows the job.
      if (values.json) io.out(toJson(fires instanceof SchedulerError ? { ...job, upcomingFiresError: `${fires.code}: ${fires.message}` } : { ...job, upcomingFires: fires }));
      else io.out(jobDetails(job, fires instanceof SchedulerError ? `unavailable (${fires.code}: ${fires.message})` : fires));
      return;
    }
    case "create":
    case "ensure": {
      const { values, positionals } = parse(rest, JOB_OPTIONS);
      noPositionals(positionals);
      if (values.name === undefined) throw new UsageError(`jobs ${action} needs --name`);
      if (action === "ensure" && values.key === undefined) throw new UsageError("jobs ensure needs --key");
      const schedule = scheduleFrom(values);
      if (schedule === undefined) throw new UsageError(`jobs ${action} needs exactly one of --cron, --at or --every`);
      const request: JobRequest = {
        name: values.name,
        schedule,
        payload: payloadOption(values.payload, values["payload-file"]),
        ...(values.key === undefined ? {} : { key: values.key }),
        ...jobSettings(values),
      };
      if (action === "create") {
        const job = await withClient(client(values, io), (c) => c.createJob(request));
        io.out(values.json ? toJson(job) : jobDetails(job));
      } else {
        const result = await withClient(client(values, io), (c) => c.ensureJob(request));
        io.out(values.json ? toJson(result) : `${result.outcome}\n${jobDetails(result.job)}`);
      }
      return;
    }
    case "update": {
      const { values, positionals } = parse(rest, JOB_OPTIONS);
      const id = onePositional(positionals, "job id");
      if (values.key !== undefined) throw new UsageError("--key cannot be changed (delete the job and create it again)");
      const schedule = scheduleFrom(values);
      const changes: JobChanges = {
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(schedule === undefined ? {} : { schedule }),
        ...(values.payload === undefined && values["payload-file"] === undefined ? {} : { payload: payloadOption(values.payload, values["payload-file"]) }),
        ...changedSettings(values),
      };
      if (Object.keys(changes).length === 0) throw new UsageError("jobs update needs at least one option to change");
      const job = await withClient(client(values, io), (c) => c.updateJob(id, changes));
      io.out(values.json ? toJson(job) : jobDetails(job));
      return;
    }
    case "trigger": {
      const { values, positionals } = parse(rest, {});
      const id = onePositional(positionals, "job id");
      const execution = await withClient(client(values, io), (c) => c.triggerJob(id));
      io.out(values.json ? toJson(execution) : executionLine(execution));
      return;
    }
    case "delete": {
      const { values, positionals } = parse(rest, {});
      const id = onePositional(positionals, "job id");
      await withClient(client(values, io), (c) => c.deleteJob(id));
      io.out(values.json ? toJson({ id, deleted: true }) : `${id} deleted`);
      return;
    }
    case "pause":
    case "resume":
    case "cancel": {
      const { values, positionals } = parse(rest, {});
      const id = onePositional(positionals, "job id");
      const job = await withClient(client(values, io), async (c) => {
        await c[`${action}Job`](id);
        return c.getJob(id);
      });
      io.out(values.json ? toJson(job) : `${job.id} ${job.status}`);
      return;
    }
    default:
      throw new UsageError(
        action === undefined
          ? "jobs needs an action: list, get, create, ensure, update, trigger, delete, pause, resume or cancel"
          : `unknown jobs action "${action}"`,
      );
  }
}

/** The fire times, or the `SchedulerError` that kept the server from giving them. */
async function firesOrError(fires: Promise<Date[]>): Promise<Date[] | SchedulerError> {
  try {
    return await fires;
  } catch (err) {
    if (err instanceof SchedulerError) return err;
    throw err;
  }
}

/** `--max-retries`, `--timeout-secs`, `--overlap`, `--start-at` and `--end-at`, as given. */
function jobSettings(values: JobValues): Pick<JobRequest, "maxRetries" | "timeoutSecs" | "overlap" | "startAt" | "endAt"> {
  if (values.overlap !== undefined && !(OVERLAP_POLICIES as readonly string[]).includes(values.overlap)) {
    throw new UsageError(`--overlap must be one of ${OVERLAP_POLICIES.join(", ")}, got "${values.overlap}"`);
  }
  const startAt = values["start-at"];
  const endAt = values["end-at"];
  return {
    // The library's own ranges, so the CLI refuses what the library would, with the same bounds.
    ...(values["max-retries"] === undefined ? {} : { maxRetries: intOption("max-retries", values["max-retries"], 0, 0, LIMITS.maxRetries) }),
    ...(values["timeout-secs"] === undefined ? {} : { timeoutSecs: intOption("timeout-secs", values["timeout-secs"], 0, 1, LIMITS.timeoutSecsMax) }),
    ...(values.overlap === undefined ? {} : { overlap: values.overlap as OverlapPolicy }),
    ...(startAt === undefined ? {} : { startAt: dateOption("start-at", startAt) }),
    ...(endAt === undefined ? {} : { endAt: dateOption("end-at", endAt) }),
  };
}

/** `jobs update`: {@link jobSettings}, where `--start-at none` / `--end-at none` remove a window end. */
function changedSettings(values: JobValues): Pick<JobChanges, "maxRetries" | "timeoutSecs" | "overlap" | "startAt" | "endAt"> {
  const cleared = (name: "start-at" | "end-at") => values[name] === "none";
  const settings: JobChanges = jobSettings({ ...values, ...(cleared("start-at") ? { "start-at": undefined } : {}), ...(cleared("end-at") ? { "end-at": undefined } : {}) });
  if (cleared("start-at")) settings.startAt = null;
  if (cleared("end-at")) settings.endAt = null;
  return settings;
}

/** The schedule given by `--cron [--tz]`, `--at` or `--every`; `undefined` when none is. */
function scheduleFrom(values: JobValues): Schedule | undefined {
  const given = [values.cron, values.at, values.every].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError("give one of --cron, --at or --every, not several");
  if (values.cron !== undefined) {
    return values.tz === undefined ? { type: "cron", expression: values.cron } : { type: "cron", expression: values.cron, timezone: values.tz };
  }
  if (values.tz !== undefined) throw new UsageError("--tz goes with --cron");
  if (values.at !== undefined) return { type: "one_shot", runAt: dateOption("at", values.at) };
  if (values.every !== undefined) return { type: "interval", intervalMs: durationOption("every", values.every) };
  return undefined;
}

/** `executions <jobId>` */
export async function executionsCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args, {});
  const executions = await withClient(client(values, io), (c) => c.getExecutions(onePositional(positionals, "job id")));
  io.out(values.json ? toJson(executions) : executions.length === 0 ? "no executions" : executionsTable(executions));
}

/** `cron next "<expr>" [--tz ZONE] [-n 5] [--from ISO]`, offline. */
export async function cronCommand(args: string[], io: CliIo): Promise<void> {
  const [action, ...rest] = args;
  if (action !== "next") throw new UsageError(action === undefined ? 'cron needs an action: next "<expression>"' : `unknown cron action "${action}"`);
  const { values, positionals } = parse(rest, { tz: { type: "string" }, n: { type: "string", short: "n" }, from: { type: "string" } });
  const expression = onePositional(positionals, "cron expression");
  const count = intOption("n", values.n, 5, 1, 1_000);
  const fromMs = values.from === undefined ? Date.now() : dateOption("from", values.from).getTime();
  const schedule = validateSchedule(
    values.tz === undefined ? { type: "cron", expression } : { type: "cron", expression, timezone: values.tz },
    fromMs,
  );
  const zone = (schedule.type === "cron" ? schedule.timezone : undefined) ?? DEFAULT_TIME_ZONE;
  const times: Date[] = [];
  for (let at = nextCronFire(expression, zone, fromMs); at !== undefined && times.length < count; at = nextCronFire(expression, zone, at)) {
    times.push(new Date(at));
  }
  if (values.json) {
    io.out(toJson(times));
    return;
  }
  const local = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, dateStyle: "short", timeStyle: "medium" });
  for (const t of times) io.out(`${t.toISOString()}  ${local.format(t)} ${zone}`);
}

/** `dev-server [--port 8093] [--host 127.0.0.1] [--kafka brokers] [--topic T] [--max-jobs N] [--max-stored-bytes N]` */
export async function devServerCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args, {
    port: { type: "string" },
    host: { type: "string" },
    kafka: { type: "string" },
    topic: { type: "string" },
    "max-jobs": { type: "string" },
    "max-stored-bytes": { type: "string" },
  });
  noPositionals(positionals);
  const port = intOption("port", values.port, 8093, 0, 65_535);
  const kafka = values.kafka === undefined ? undefined : { brokers: values.kafka.split(","), ...(values.topic === undefined ? {} : { topic: values.topic }) };
  // The test server's limits (TEST_SERVER_LIMIT_DEFAULTS) unless raised or lowered here.
  const limits = {
    ...(values["max-jobs"] === undefined ? {} : { maxJobs: intOption("max-jobs", values["max-jobs"], 0, 1, Number.MAX_SAFE_INTEGER) }),
    ...(values["max-stored-bytes"] === undefined
      ? {}
      : { maxStoredBytes: intOption("max-stored-bytes", values["max-stored-bytes"], 0, 1, Number.MAX_SAFE_INTEGER) }),
  };
  const server = await createTestServer({ port, host: values.host ?? "127.0.0.1", clock: "system", ...limits, ...(kafka ? { kafka } : {}) }).catch((err: unknown) => {
    // The test server starts its Kafka publisher first: say which part failed.
    if (kafka === undefined || !(err instanceof Error && err.name.startsWith("KafkaJS"))) throw err;
    throw new Error(`cannot start: the Kafka brokers given by --kafka (${kafka.brokers.join(",")}) did not answer: ${messageOf(err)}`, { cause: err });
  });
  io.out(values.json ? JSON.stringify({ url: server.url, port: server.port }) : `scheduler dev server listening on ${server.url}${kafka ? ` (events to Kafka ${kafka.brokers.join(",")})` : ""}`);
  await io.stopped;
  await server.close();
  if (!values.json) io.out("scheduler dev server stopped");
}

/**
 * `events tail --brokers host:port[,...] [--topic T] [--group G] [--from-beginning] [--max-events N] [--lag]`
 * `events lag --group G --brokers host:port[,...] [--topic T]`
 */
export async function eventsCommand(args: string[], io: CliIo): Promise<void> {
  const [action, ...rest] = args;
  if (action === "tail") return eventsTail(rest, io);
  if (action === "lag") return eventsLag(rest, io);
  throw new UsageError(action === undefined ? "events needs an action: tail or lag" : `unknown events action "${action}"`);
}

/** How often `events tail --lag` prints the group's lag. */
const LAG_EVERY_MS = 5_000;

async function eventsTail(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args, {
    brokers: { type: "string" },
    topic: { type: "string" },
    group: { type: "string" },
    "from-beginning": { type: "boolean" },
    "max-events": { type: "string" },
    lag: { type: "boolean" },
  });
  noPositionals(positionals);
  const maxEvents = intOption("max-events", values["max-events"], Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
  const subscriber = new KafkaJobCompletedSubscriber({
    ...kafkaTarget("events tail", values, io),
    groupId: values.group ?? `k1s0-scheduler-cli-${randomUUID()}`,
    fromBeginning: values["from-beginning"] ?? false,
  });
  let seen = 0;
  let enough: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (enough = resolve));
  const subscription = await subscriber.subscribe(
    (event) => {
      if (seen >= maxEvents) return;
      seen++;
      io.out(values.json ? JSON.stringify(event) : eventLine(event));
      if (seen >= maxEvents) enough();
    },
    { onError: (f) => io.err(`undeliverable event (${f.reason}): ${messageOf(f.error)}`) },
  );
  // On stderr, so stdout stays one event per line.
  const printLag = () =>
    subscription.lag().then(
      (lag) => io.err(lagLine(lag)),
      (err: unknown) => io.err(`lag unknown: ${messageOf(err)}`),
    );
  const lagTimer = values.lag ? setInterval(() => void printLag(), LAG_EVERY_MS) : undefined;
  if (values.lag) await printLag();
  await Promise.race([done, io.stopped]);
  clearInterval(lagTimer);
  await subscription.close();
}

async function eventsLag(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args, { brokers: { type: "string" }, topic: { type: "string" }, group: { type: "string" } });
  noPositionals(positionals);
  if (values.group === undefined) throw new UsageError("events lag needs --group (the consumer group of the service to look at)");
  const lag = await new KafkaJobCompletedSubscriber({ ...kafkaTarget("events lag", values, io), groupId: values.group }).lag();
  io.out(values.json ? toJson(lag) : lagTable(lag));
}

/** Brokers (`--brokers`, else `$KAFKA_BROKERS`) and topic of an `events` action. */
function kafkaTarget(action: string, values: { brokers?: string; topic?: string }, io: CliIo): { brokers: string[]; topic?: string } {
  // An empty $KAFKA_BROKERS counts as unset.
  const brokers = values.brokers ?? (io.env.KAFKA_BROKERS || undefined);
  if (brokers === undefined) throw new UsageError(`${action} needs --brokers (or KAFKA_BROKERS)`);
  return { brokers: brokers.split(","), ...(values.topic === undefined ? {} : { topic: values.topic }) };
}
