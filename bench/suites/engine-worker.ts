/**
 * Child process of the engine-scale suite: runs one measurement (a JSON {@link Task} in argv[2])
 * and prints its result as one JSON line. Started as
 * `node --expose-gc --import tsx bench/suites/engine-worker.ts '<task>'`.
 */
import { runAdvance, runCreate, type Task } from "./engine-tasks.js";

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? "") as Task;
  const result = task.kind === "create" ? await runCreate(task) : await runAdvance(task);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`engine worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
