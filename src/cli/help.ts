import { JOB_STATUSES, OVERLAP_POLICIES } from "../types/job.js";
import { LIMITS } from "../validation/limits.js";

const TIME = "an ISO 8601 time with Z or an offset, e.g. 2030-01-01T09:00:00+09:00";

/** The options every command that talks to a server takes. */
const SERVER_OPTIONS = `Options of every command that talks to a scheduler:
  --server URL      http:// or https:// (default: $SCHEDULER_URL, else http://localhost:8093)
  --timeout-ms N    deadline of each call in ms, 1 to 3600000 (default 10000)
  --json            machine-readable output`;

const JOB_FIELDS = `  --name N            1 to ${LIMITS.nameMaxLength} characters
  --cron "EXPR"       5 fields, or 6 with leading seconds ("0 2 * * *"), or @daily, @hourly ...
  --tz ZONE           IANA time zone of --cron, e.g. Asia/Tokyo (default UTC)
  --at TIME           run once at ${TIME}
  --every DURATION    run every DURATION, with a unit: 500ms, 30s, 10m, 2h, 1d (at most 366d)
  --payload JSON      any JSON value (default null)
  --payload-file F    the payload from file F (- reads standard input), for long payloads
  --max-retries N     retries of a failed execution, 0 to ${LIMITS.maxRetries} (default 0)
  --timeout-secs N    seconds an execution may run, 1 to ${LIMITS.timeoutSecsMax} (default 60)
  --overlap P         when a fire finds the last execution running: ${OVERLAP_POLICIES.join(", ")} (default skip)
  --start-at TIME     no fires before TIME (cron and --every jobs)
  --end-at TIME       no fires after TIME; the job completes after its last fire`;

/** Help per command (and per action), keyed `"jobs create"`, `"cron next"`, ... */
const HELP: Record<string, string> = {
  "jobs list": `k1s0-scheduler jobs list [--status S] [--prefix P] [--key K]
  Lists the jobs not deleted, oldest first, as a table.
  --status S   one of ${JOB_STATUSES.join(", ")}
  --prefix P   names that start with P
  --key K      the job registered with key K`,
  "jobs get": `k1s0-scheduler jobs get <jobId> [--fires N]
  Shows a job and its next fire times as the server computes them (time zone and DST included).
  --fires N    how many fire times, 1 to 100 (default 5)`,
  "jobs create": `k1s0-scheduler jobs create --name N (--cron "EXPR" [--tz ZONE] | --at TIME | --every DURATION) [options]
  Registers a job and prints it.
${JOB_FIELDS}
  --key K             a unique key; exit 5 if a job already holds it (see jobs ensure)`,
  "jobs ensure": `k1s0-scheduler jobs ensure --key K --name N (--cron ... | --at ... | --every ...) [options]
  The start-up call: creates the job with key K, leaves it as it is when it matches, or updates it;
  prints created, unchanged or updated, then the job. Safe to run from every replica.
${JOB_FIELDS}`,
  "jobs update": `k1s0-scheduler jobs update <jobId> [options]
  Changes only what is given and prints the job; the next fire is recomputed.
${JOB_FIELDS}
  --start-at none, --end-at none   remove that end of the window`,
  "jobs trigger": `k1s0-scheduler jobs trigger <jobId>
  Runs the job now (a paused job too) and prints the execution it started.`,
  "jobs delete": `k1s0-scheduler jobs delete <jobId>
  Removes the job and its executions; deleting twice is fine.`,
  "jobs pause": `k1s0-scheduler jobs pause <jobId>
  Stops the job's fires until it is resumed (an execution in progress finishes).`,
  "jobs resume": `k1s0-scheduler jobs resume <jobId>
  Resumes a paused job; fires missed while paused are skipped.`,
  "jobs cancel": `k1s0-scheduler jobs cancel <jobId>
  Cancels the job for good, keeping its history (jobs delete removes it).`,
  executions: `k1s0-scheduler executions <jobId>
  Lists a job's executions, oldest first: attempt, result, what started it, times, error.`,
  "cron next": `k1s0-scheduler cron next "<expr>" [--tz ZONE] [-n N] [--from TIME]
  Previews fire times offline, in UTC and in the zone.
  --tz ZONE    IANA time zone, e.g. America/New_York (default UTC)
  -n N         how many, 1 to 1000 (default 5)
  --from TIME  start after ${TIME} (default now)
  --json       machine-readable output`,
  "events tail": `k1s0-scheduler events tail [--brokers host:port,...] [options]
  Prints job-completed events as they arrive, one per line.
  --brokers B        Kafka bootstrap brokers (default: $KAFKA_BROKERS)
  --topic T          default k1s0.system.scheduler.job_completed.v1
  --group G          consumer group (default: a new one, so only new events)
  --from-beginning   a new group starts at the oldest retained event
  --max-events N     stop after N events
  --lag              print the group's lag on stderr, at start and every 5 s
  --json             one JSON object per line`,
  "events lag": `k1s0-scheduler events lag --group G [--brokers host:port,...] [--topic T] [--json]
  How far consumer group G (a service's groupId) is behind, per partition, and in total.
  --brokers B   Kafka bootstrap brokers (default: $KAFKA_BROKERS)
  --topic T     default k1s0.system.scheduler.job_completed.v1`,
  "dev-server": `k1s0-scheduler dev-server [options]
  Runs a scheduler (the package's test server, on the real clock) until Ctrl-C. Its state lives
  in memory: jobs are gone when it stops.
  --port N               default 8093 (0: any free port)
  --host H               default 127.0.0.1
  --kafka B              publish job-completed events to these Kafka brokers
  --topic T              their topic (default k1s0.system.scheduler.job_completed.v1)
  --max-jobs N           default 20000
  --max-stored-bytes N   payload bytes held at most, default 536870912 (512 MiB)
  --json                 print {"url","port"} when listening`,
};

/** Commands whose help is their actions' (`jobs --help` lists them). */
const GROUPS: Record<string, string[]> = {
  jobs: ["list", "get", "create", "ensure", "update", "trigger", "delete", "pause", "resume", "cancel"],
  cron: ["next"],
  events: ["tail", "lag"],
};

/**
 * The help of `command` (and `action`), or `undefined` for an unknown command (the general
 * usage applies then).
 */
export function commandHelp(command: string, action: string | undefined): string | undefined {
  const specific = HELP[`${command} ${action ?? ""}`.trim()];
  const talksToServer = command === "jobs" || command === "executions";
  if (specific !== undefined) return talksToServer ? `${specific}\n\n${SERVER_OPTIONS}` : specific;
  const actions = GROUPS[command];
  if (actions === undefined) return undefined;
  return `${actions.map((a) => HELP[`${command} ${a}`]?.split("\n")[0]).join("\n")}\n\nk1s0-scheduler ${command} <action> --help shows an action's options.`;
}
