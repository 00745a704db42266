import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { getHeapStatistics } from "node:v8";
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { TEST_SERVER_LIMIT_DEFAULTS } from "../../src/testing/test-server.js";
import { LIMITS } from "../../src/validation/limits.js";
import { MiB, mb, startChildServer } from "./support/child-server.js";

const run = promisify(execFile);
const interval = { type: "interval", intervalMs: 3_600_000 } as const;

/**
 * The heap a default server may hold for its jobs, stated in TEST_SERVER_LIMIT_DEFAULTS' doc
 * comment: a quarter of the ~4 GB default heap of a 64-bit Node.js on a machine with 16 GiB or more.
 */
const DEFAULT_SERVER_HEAP_BOUND = 1024 * MiB;

describe("test server memory under ~1 MiB payloads", () => {
  it("answers RESOURCE_EXHAUSTED at maxStoredBytes instead of dying, holding about one payload of heap per job", async () => {
    const cap = 48 * MiB;
    const server = await startChildServer({ maxStoredBytes: cap });
    const client = new GrpcSchedulerClient(server.url, { retry: false, timeoutMs: 30_000 });
    try {
      // {"blob":"xxx..."}: 1 MiB - 64 bytes of JSON, inside the 1 MiB limit.
      const payloadBytes = MiB - 64;
      const payload = { blob: "x".repeat(payloadBytes - 11) };
      expect(Buffer.byteLength(JSON.stringify(payload))).toBe(payloadBytes);
      const before = await server.stats();
      let created = 0;
      let refusal: SchedulerError | undefined;
      while (refusal === undefined && created <= 100) {
        try {
          await client.createJob({ name: `big-${created}`, schedule: interval, payload });
          created++;
        } catch (err) {
          refusal = err as SchedulerError;
        }
      }
      const after = await server.stats();
      const heapPerJob = (after.heapUsed - before.heapUsed) / created;
      const rssPerJob = (after.rss - before.rss) / created;
      console.log(
        `memory: ${created} jobs of ${payloadBytes} B payload until RESOURCE_EXHAUSTED (maxStoredBytes ${cap}); ` +
          `server heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB (${(heapPerJob / MiB).toFixed(3)} MB/job), ` +
          `RSS ${mb(before.rss)} -> ${mb(after.rss)} MB (${(rssPerJob / MiB).toFixed(3)} MB/job), external ${mb(before.external)} -> ${mb(after.external)} MB; ` +
          `refusal: "${refusal?.message}"`,
      );
      expect(created).toBe(Math.floor(cap / payloadBytes));
      expect(refusal?.code).toBe("RESOURCE_EXHAUSTED");
      expect(refusal?.message).toContain(`maxStoredBytes = ${cap}`);
      // One copy of the payload (the stored text), not two (before: a canonical copy as the
      // idempotency fingerprint, about 2.1 MB of RSS per job).
      expect(heapPerJob).toBeLessThan(1.1 * payloadBytes);
      // Still serving: reads work, and a small job still fits.
      expect(server.alive()).toBe(true);
      expect((await client.getJob((await client.listJobs({ namePrefix: "big-0" }))[0].id)).name).toBe("big-0");
      await expect(client.createJob({ name: "small", schedule: interval, payload: { ok: true } })).resolves.toMatchObject({ name: "small" });
    } finally {
      await client.close();
      await server.close();
    }
  }, 120_000);

  it("answers RESOURCE_EXHAUSTED at maxJobs, naming it; a retried create of a job it holds still succeeds", async () => {
    const server = await createTestServer({ clock: "manual", maxJobs: 3 });
    const client = new GrpcSchedulerClient(server.url, { retry: false });
    try {
      const jobs = [];
      for (let i = 0; i < 3; i++) jobs.push(await client.createJob({ name: `j${i}`, schedule: interval, payload: i, idempotencyKey: `key-${i}` }));
      const refusal = (await client.createJob({ name: "j3", schedule: interval, payload: 3 }).catch((e: unknown) => e)) as SchedulerError;
      console.log(`maxJobs: refusal "${refusal.message}"`);
      expect(refusal.code).toBe("RESOURCE_EXHAUSTED");
      expect(refusal.message).toContain("maxJobs = 3");
      // The idempotency key is answered before the limit: a retry is not a new job.
      expect((await client.createJob({ name: "j1", schedule: interval, payload: 1, idempotencyKey: "key-1" })).id).toBe(jobs[1].id);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("keeps the default caps under a stated heap bound: maxStoredBytes of payload plus maxJobs of the largest jobs", async () => {
    const worker = join(__dirname, "support/job-overhead.ts");
    const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", worker, "1000"], { cwd: join(__dirname, "../..") });
    const { bytesPerJob, executions } = JSON.parse(stdout.trim()) as { bytesPerJob: number; executions: number };
    const { maxJobs, maxStoredBytes } = TEST_SERVER_LIMIT_DEFAULTS;
    // A payload string takes at most one heap byte per UTF-8 byte (the first test measures it).
    const payloads = maxStoredBytes;
    const jobs = maxJobs * bytesPerJob;
    const largestJobs = Math.floor(maxStoredBytes / LIMITS.payloadMaxBytes);
    console.log(
      `default caps: maxStoredBytes ${maxStoredBytes} (${largestJobs} payloads of 1 MiB) = ${mb(payloads)} MB + ` +
        `maxJobs ${maxJobs} x ${Math.round(bytesPerJob)} B (largest job apart from its payload, ${executions} executions kept) = ${mb(jobs)} MB; ` +
        `total ${mb(payloads + jobs)} MB, bound ${mb(DEFAULT_SERVER_HEAP_BOUND)} MB; this process's heap limit ${mb(getHeapStatistics().heap_size_limit)} MB`,
    );
    expect(executions).toBe(100);
    expect(payloads + jobs).toBeLessThan(DEFAULT_SERVER_HEAP_BOUND);
  }, 60_000);
});
