// Child process of process-alive.test.ts: a client whose calls end, never closed; the process must exit by itself.
import { GrpcSchedulerClient } from "../../../src/index.js";
async function main(): Promise<void> {
  const client = new GrpcSchedulerClient(process.argv[2], { timeoutMs: 120_000 });
  await client.getJob("nope").catch(() => undefined);
  await client.listJobs({}, { timeoutMs: 60_000 }).catch(() => undefined);
  process.stdout.write("done");
}
void main();
