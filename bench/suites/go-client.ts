/**
 * The grpc-go reference client of the transport suite (bench/go-client, a Go program on grpc-go
 * with the generated code of test/grpc-go/server/gen): built by the bench itself, run in its own
 * process with GOMAXPROCS=1, driven over stdin/stdout one cell at a time.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import * as path from "node:path";
import { createInterface, type Interface } from "node:readline";

const ROOT = path.join(__dirname, "..", "..");
const SOURCE = path.join(ROOT, "bench", "go-client");
/** The generated code the client imports (a `replace` in its go.mod). */
const GENERATED = path.join(ROOT, "test", "grpc-go", "server", "gen");
const CACHE = path.join(ROOT, "node_modules", ".cache", "go-bin", "bench-client");
const GO = process.env.GO ?? "go";

function run(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: "utf8", env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout.trim());
      else reject(new Error(`${cmd} ${args.join(" ")} failed: ${error.message}`, { cause: { stderr } }));
    });
  });
}

function goFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && (e.name.endsWith(".go") || e.name === "go.mod" || e.name === "go.sum"))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * Builds bench/go-client (reused while its sources, the generated code and the Go version are
 * unchanged) and returns the binary's path.
 * @throws when there is no Go toolchain or the build fails, saying which.
 */
export async function buildGoClient(log: (line: string) => void): Promise<string> {
  let version: string;
  try {
    version = await run(GO, ["env", "GOVERSION"], ROOT);
  } catch {
    throw new Error(
      `the transport suite's grpc-go reference client needs a Go toolchain (1.24 or newer), and '${GO}' does not run. Install Go from https://go.dev/dl/ or set GO=/path/to/go.`,
    );
  }
  const hash = createHash("sha256").update(version).update("\0");
  for (const file of [...goFiles(SOURCE), ...goFiles(GENERATED)]) hash.update(path.relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  const bin = path.join(CACHE, `k1s0-bench-go-client-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(bin)) return bin;
  log(`  building the grpc-go reference client (bench/go-client) with ${version}`);
  mkdirSync(CACHE, { recursive: true });
  const staging = `${bin}.${process.pid}.tmp`;
  try {
    await run(GO, ["build", "-trimpath", "-buildvcs=false", "-o", staging, "."], SOURCE, { ...process.env, CGO_ENABLED: "0" });
    renameSync(staging, bin);
  } catch (err) {
    const stderr = ((err as Error).cause as { stderr?: string } | undefined)?.stderr ?? String(err);
    throw new Error(`go build of bench/go-client failed:\n${stderr.trim().split("\n").slice(0, 20).join("\n")}`);
  } finally {
    rmSync(staging, { force: true });
  }
  return bin;
}

/** What the Go client measured over one cell. */
export interface GoCell {
  calls: number;
  elapsedMs: number;
  cpuUs: number;
  p50Ms: number;
}

/** A running grpc-go client process. */
export interface GoClient {
  /** A closed loop of `inFlight` goroutines calling `method` for `durationMs`. */
  measure(method: string, inFlight: number, durationMs: number, pageSize: number, jobId: string): Promise<GoCell>;
  close(): Promise<void>;
}

/** Starts the grpc-go client (GOMAXPROCS=1) against `url` and waits until it is connected. */
export async function startGoClient(bin: string, url: string): Promise<GoClient> {
  const child: ChildProcess = spawn(bin, [new URL(url).host], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, GOMAXPROCS: "1" } });
  const lines: Interface = createInterface({ input: child.stdout! });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`the grpc-go bench client exited with ${code}`));
      child.once("exit", onExit);
      lines.once("line", (line) => {
        child.off("exit", onExit);
        resolve(line);
      });
    });
  const ready = await next();
  if (ready !== "READY") throw new Error(`the grpc-go bench client said ${JSON.stringify(ready)} instead of READY`);
  return {
    async measure(method, inFlight, durationMs, pageSize, jobId) {
      const answer = next();
      child.stdin!.write(`${method} ${inFlight} ${Math.round(durationMs)} ${pageSize} ${jobId}\n`);
      return JSON.parse(await answer) as GoCell;
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) resolve();
        else {
          child.once("exit", () => resolve());
          child.stdin!.end();
        }
        lines.close();
      });
    },
  };
}
