import { InMemorySchedulerClient } from "@k1s0/scheduler-client";

export async function main(): Promise<string[]> {
  const scheduler = new InMemorySchedulerClient({ clock: "manual" });
  for (let i = 0; i < 250; i++) {
    await scheduler.createJob({ name: `tenant-${i}-sync`, schedule: { type: "interval", intervalMs: 60_000 }, payload: { i } });
  }
  const controller = new AbortController();
  const names: string[] = [];
  // Pages of 100 are fetched as the loop consumes them; breaking out fetches no more.
  for await (const job of scheduler.iterateJobs({ status: "pending" }, { pageSize: 100, signal: controller.signal })) {
    names.push(job.name);
    if (names.length === 120) break;
  }
  await scheduler.close();
  return [names[0] ?? "", names[119] ?? "", String(names.length)];
}

// Run by itself (npx tsx examples/readme/iterate.ts), it prints what it found.
if (require.main === module) void main().then((lines) => console.log(lines.join("\n")));
