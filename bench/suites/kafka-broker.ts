import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "kafka.sh");

/** A broker of this process's own, started by `scripts/kafka.sh`. */
export interface Broker {
  /** Bootstrap address, `127.0.0.1:<port>`. */
  brokers: string[];
  /** Stops the broker and deletes its data. Safe to call twice. */
  stop(): Promise<void>;
}

/** The broker could not run on this machine (`scripts/kafka.sh` exit 3: no Java). */
export class NoJavaError extends Error {}

function kafkaSh(command: "start" | "stop", stateDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, KAFKA_STATE_DIR: stateDir, KAFKA_OWNER_PID: String(process.pid) };
    execFile("bash", [SCRIPT, command], { env, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) return resolve(stdout);
      const detail = stderr.trim().split("\n").slice(-5).join(" | ");
      reject(error.code === 3 ? new NoJavaError(detail) : new Error(`scripts/kafka.sh ${command} failed (exit ${String(error.code)}): ${detail}`));
    });
  });
}

/**
 * Starts a single-node broker in a fresh state directory, so it never collides with another
 * user's broker; the script's watchdog stops it if this process dies without calling `stop()`.
 * @throws {@link NoJavaError} when there is no Java to run it.
 */
export async function startBroker(): Promise<Broker> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "k1s0-bench-kafka-"));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= kafkaSh("stop", stateDir).then(
      () => rmSync(stateDir, { recursive: true, force: true }),
      (error: unknown) => {
        rmSync(stateDir, { recursive: true, force: true });
        throw error;
      },
    ));
  try {
    const stdout = await kafkaSh("start", stateDir);
    const address = /KAFKA_BROKERS=(\S+)/.exec(stdout)?.[1];
    if (address === undefined) throw new Error(`scripts/kafka.sh start printed no KAFKA_BROKERS: ${stdout}`);
    return { brokers: address.split(","), stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
