/**
 * Runs the grpc-go SchedulerService server of test/grpc-go/server (built by
 * scripts/go-scheduler-server.sh) as a child process, one per test suite, with the knobs it
 * needs. The server stops when its stdin closes, so even a test worker that dies leaves no
 * server behind; {@link GoServer.stop} (afterAll) closes stdin and kills it if it lingers.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";

const repo = path.resolve(__dirname, "../..");
const script = path.join(repo, "scripts/go-scheduler-server.sh");

/** Flags of the server (see test/grpc-go/server/main.go). Durations are Go durations: "200ms", "5s". */
export interface GoServerKnobs {
  maxConnectionAge?: string;
  maxConnectionAgeGrace?: string;
  maxConcurrentStreams?: number;
  keepaliveMinTime?: string;
  keepalivePermitWithoutStream?: boolean;
  gzip?: boolean;
  delay?: string;
  /** Methods the delay applies to (e.g. ["GetJob"]); default all. */
  delayMethods?: string[];
  seedJobs?: number;
  payloadBytes?: number;
  maxPageBytes?: number;
}

/** The server's counters ("stats" on its stdin). */
export interface GoServerStats {
  /** Calls that reached a handler, per method (refused streams never do). */
  calls: Record<string, number>;
  totalCalls: number;
  /** Results of those calls, per gRPC status code name ("OK", "NotFound", ...). */
  results: Record<string, number>;
  connectionsOpened: number;
  connectionsClosed: number;
  gzipResponses: number;
  /** GOAWAY frames the server sent, by error code (and debug data: "ENHANCE_YOUR_CALM:too_many_pings"). */
  goAwaysSent: Record<string, number>;
  /** RST_STREAM frames the server sent, by error code ("REFUSED_STREAM", "CANCEL", ...). */
  rstStreamsSent: Record<string, number>;
  /** PING frames (not acks) the client sent. */
  pingsReceived: number;
}

/** The outcome of building the server: a binary, no Go toolchain, or a failed build. */
export type GoServerBuild = { binary: string } | { noGo: string } | { failure: string };

/**
 * Builds (or reuses) the server binary. Synchronous: whether the suite can run is decided when
 * it is collected. Cached binary: instant; cold (modules downloaded): about half a minute.
 */
export function buildGoServer(): GoServerBuild {
  const build = spawnSync("bash", [script, "build"], { cwd: repo, encoding: "utf8", timeout: 600_000 });
  const binary = build.status === 0 ? build.stdout.trim().split("\n").pop() : undefined;
  if (binary) return { binary };
  if (build.status === 3) return { noGo: build.stderr.trim() };
  return { failure: `scripts/go-scheduler-server.sh exited with ${build.status ?? build.signal ?? build.error?.message}:\n${build.stderr}` };
}

const running = new Set<ChildProcessWithoutNullStreams>();
// Last resort when a worker exits without afterAll (the closed stdin stops the server as well).
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function knobArgs(knobs: GoServerKnobs): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | number | boolean | undefined): void => {
    if (value === undefined || value === false) return;
    args.push(value === true ? `--${flag}` : `--${flag}=${value}`);
  };
  add("max-connection-age", knobs.maxConnectionAge);
  add("max-connection-age-grace", knobs.maxConnectionAgeGrace);
  add("max-concurrent-streams", knobs.maxConcurrentStreams);
  add("keepalive-min-time", knobs.keepaliveMinTime);
  add("keepalive-permit-without-stream", knobs.keepalivePermitWithoutStream);
  add("gzip", knobs.gzip);
  add("delay", knobs.delay);
  add("delay-methods", knobs.delayMethods?.join(","));
  add("seed-jobs", knobs.seedJobs);
  add("payload-bytes", knobs.payloadBytes);
  add("max-page-bytes", knobs.maxPageBytes);
  return args;
}

/** One running server. */
export class GoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  private stderrText = "";
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    port: number,
    lines: AsyncIterator<string>,
    readonly args: string[],
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        for (const w of this.waiting.splice(0)) w.reject(new Error(`the Go server exited (${code ?? signal}):\n${this.stderrText}`));
        resolve({ code, signal });
      }),
    );
    child.stderr.on("data", (d: Buffer) => (this.stderrText += d.toString()));
    void (async () => {
      for (let r = await lines.next(); !r.done; r = await lines.next()) {
        const line = r.value;
        if (line.startsWith("STATS ")) this.waiting.shift()?.resolve(line.slice("STATS ".length));
      }
    })();
  }

  /** Starts a server with `knobs`; resolves once it accepts connections. */
  static async start(binary: string, knobs: GoServerKnobs = {}): Promise<GoServer> {
    const args = knobArgs(knobs);
    const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    child.once("exit", () => running.delete(child));
    let stderr = "";
    const collect = (d: Buffer): void => {
      stderr += d.toString();
    };
    child.stderr.on("data", collect);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      const first = await Promise.race([
        lines.next(),
        new Promise<never>((_, reject) => child.once("error", reject)),
      ]);
      const port = first.done === true ? undefined : /^LISTENING (\d+)$/.exec(first.value)?.[1];
      if (port === undefined) {
        await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(undefined)));
        throw new Error(`the Go server (${args.join(" ")}) did not start: ${first.done === true ? "no output" : first.value}\n${stderr}`);
      }
      const server = new GoServer(child, Number(port), lines, args);
      server.stderrText = stderr;
      return server;
    } catch (err) {
      child.kill("SIGKILL");
      throw err;
    } finally {
      clearTimeout(timer);
      child.stderr.off("data", collect);
    }
  }

  /** The server's counters now. */
  async stats(): Promise<GoServerStats> {
    const line = await new Promise<string>((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`the Go server has exited:\n${this.stderrText}`));
        return;
      }
      this.waiting.push({ resolve, reject });
      this.child.stdin.write("stats\n");
    });
    return JSON.parse(line) as GoServerStats;
  }

  /** Whether the server process is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the server wrote to stderr (its FINAL STATS line once stopped). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Stops the server: closes its stdin, then SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
