#!/usr/bin/env node
/**
 * `k1s0-scheduler`: the package's command-line tool.
 * @packageDocumentation
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeFailure, EXIT_CODES, UsageError } from "./cli-error.js";
import { commandHelp } from "./help.js";
import { type CliIo, cronCommand, devServerCommand, eventsCommand, executionsCommand, jobsCommand } from "./commands.js";

export const USAGE = `k1s0-scheduler <command> [options]

Commands:
  dev-server [--port 8093] [--host 127.0.0.1] [--kafka host:port,...] [--topic T]
             [--max-jobs 20000] [--max-stored-bytes 536870912]
                         run a scheduler (the test server, real time) until Ctrl-C
  jobs list [--status S] [--prefix P] [--key K]
  jobs get <jobId> [--fires 5]   the job and its next fire times (server-computed)
  jobs create --name N (--cron "EXPR" [--tz ZONE] | --at ISO-8601 | --every 10m)
              [--payload JSON] [--max-retries N] [--timeout-secs N] [--key K]
              [--overlap skip|buffer_one|allow_all] [--start-at ISO] [--end-at ISO]
  jobs ensure --key K --name N (schedule) [options of create]
                         create the job with this key, or update it to this; prints
                         created, unchanged or updated
  jobs update <jobId> [--name N] [--cron "EXPR" [--tz Z] | --at ISO | --every 10m]
              [--payload JSON] [--max-retries N] [--timeout-secs N] [--overlap P]
              [--start-at ISO|none] [--end-at ISO|none]
  jobs trigger <jobId>   run it now; prints the execution it started
  jobs delete <jobId>    remove it and its executions
  jobs pause|resume|cancel <jobId>
  executions <jobId>
  cron next "<expr>" [--tz ZONE] [-n 5] [--from ISO-8601]
                         preview fire times, offline
  events tail --brokers host:port[,...] [--topic T] [--group G] [--from-beginning] [--max-events N]
              [--lag]    print job-completed events as they arrive (--lag: the group's lag on
                         stderr, at start and every 5 s)
  events lag --group G --brokers host:port[,...] [--topic T]
                         how far a consumer group is behind, per partition
                         (--brokers defaults to $KAFKA_BROKERS)

Options for every command:
  --server URL      scheduler to talk to (default: $SCHEDULER_URL, else http://localhost:8093)
  --json            machine-readable output
  --timeout-ms N    deadline per call (default 10000)
  -h, --help        this text; after a command, that command's options (jobs create --help)
  --version         the package version

Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 job not found, 4 invalid request,
5 a job with the key already exists.`;

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<void>> = {
  "dev-server": devServerCommand,
  jobs: jobsCommand,
  executions: executionsCommand,
  cron: cronCommand,
  events: eventsCommand,
};

/** Runs the CLI with `argv` (without node and script). @returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(USAGE);
      return command === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
    }
    if (command === "--version") {
      io.out(version());
      return EXIT_CODES.ok;
    }
    if (args.includes("--help") || args.includes("-h")) {
      io.out(commandHelp(command, args[0]?.startsWith("-") ? undefined : args[0]) ?? USAGE);
      return EXIT_CODES.ok;
    }
    const run = COMMANDS[command];
    if (run === undefined) throw new UsageError(`unknown command "${command}"`);
    await run(args, io);
    return EXIT_CODES.ok;
  } catch (err) {
    const { line, exitCode } = describeFailure(err);
    io.err(line);
    return exitCode;
  }
}

function version(): string {
  // dist/{esm,cjs}/src/cli/main.js and src/cli/main.ts both sit three or four levels below the package root.
  for (const up of ["../../../../package.json", "../../package.json"]) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, up), "utf8")) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return "unknown";
}

function processIo(): CliIo {
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  return { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`), env: process.env, stopped };
}

if (require.main === module) {
  void runCli(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
    // Signal listeners must not keep a finished command alive.
    process.removeAllListeners("SIGINT");
    process.removeAllListeners("SIGTERM");
  });
}
