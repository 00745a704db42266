import { type ChildProcess, fork, spawn } from "node:child_process";
import { join } from "node:path";
import type { TestServerOptions } from "@k1s0/scheduler-client/testing";
import type { ServerStats } from "./server-process.js";

const ROOT = join(__dirname, "../../..");

/** A test server running in a child process (see server-process.ts). */
export interface ChildServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** The server process's memory, read after a full garbage collection. */
  stats(): Promise<ServerStats>;
  /** Whether the process is still running. */
  alive(): boolean;
  close(): Promise<void>;
}

/**
 * Starts `createTestServer(options)` (manual clock) in a fresh Node.js process; with
 * `fileLimit`, under `ulimit -n fileLimit` (at most that many open file descriptors).
 */
export async function startChildServer(options: TestServerOptions = {}, fileLimit?: number): Promise<ChildServer> {
  const script = join(__dirname, "server-process.ts");
  const args = ["--expose-gc", "--import", "tsx", script, JSON.stringify(options)];
  const child =
    fileLimit === undefined
      ? fork(script, [JSON.stringify(options)], { cwd: ROOT, execArgv: args.slice(0, 3), stdio: ["ignore", "inherit", "inherit", "ipc"] })
      : spawn("bash", ["-c", `ulimit -n ${fileLimit} && exec "$0" "$@"`, process.execPath, ...args], {
          cwd: ROOT,
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m: { url: string }) => resolve(m.url));
    void exit.then(() => reject(new Error("the server process exited before it was listening")));
  });
  return {
    url,
    process: child,
    stats: () =>
      new Promise<ServerStats>((resolve, reject) => {
        child.once("message", (m: ServerStats) => resolve(m));
        void exit.then(() => reject(new Error("the server process has exited")));
        child.send("stats");
      }),
    alive: () => !exited,
    async close() {
      if (!exited) {
        child.send("close");
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(killer);
      }
    },
  };
}

export const MiB = 1024 * 1024;
export const mb = (bytes: number): string => (bytes / MiB).toFixed(1);
