import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { createInterface, type Interface } from "node:readline";

/** A bench server running in its own Node.js process. */
export interface ServerProcess {
  url: string;
  jobId: string;
  /** Stops it; resolves with the CPU time it used (ms). */
  stop(): Promise<number>;
}

/** Starts bench/suites/transport-server.ts with `args` and waits for its address. */
export async function startServerProcess(args: string[]): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "transport-server.ts"), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: Interface = createInterface({ input: child.stdout! });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`bench server exited with ${code} before answering`));
      child.once("exit", onExit);
      lines.once("line", (line) => {
        child.off("exit", onExit);
        resolve(line);
      });
    });
  const { url, jobId } = JSON.parse(await next()) as { url: string; jobId: string };
  return {
    url,
    jobId,
    async stop() {
      const done = next();
      child.stdin!.end();
      const { cpuMs } = JSON.parse(await done) as { cpuMs: number };
      lines.close();
      return cpuMs;
    },
  };
}
