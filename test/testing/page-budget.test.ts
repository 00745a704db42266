import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import {
  ListExecutionsResponseSchema,
  ListJobsResponseSchema,
  SchedulerService,
} from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { executionToProto } from "../../src/mapping/execution-mapping.js";
import { jobToProto } from "../../src/mapping/job-mapping.js";
import { executionEntryBytes, jobEntryBytes, LIST_RESPONSE_MAX_BYTES } from "../../src/mapping/scheduler-routes.js";
import { EXECUTION_RESULTS, EXECUTION_TRIGGERS, type JobExecution } from "../../src/types/execution.js";
import { JOB_STATUSES, OVERLAP_POLICIES } from "../../src/types/job.js";
import type { StoredJob } from "../../src/types/job-spec.js";
import type { Schedule } from "../../src/types/schedule.js";
import { MiB } from "./support/child-server.js";

const text = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 300 }), fc.string({ maxLength: 300 }));
const anyDate = fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms));
const schedule: fc.Arbitrary<Schedule> = fc.oneof(
  fc.record({ type: fc.constant("cron" as const), expression: text, timezone: text }),
  fc.record({ type: fc.constant("cron" as const), expression: text }),
  fc.record({ type: fc.constant("one_shot" as const), runAt: anyDate }),
  fc.record({ type: fc.constant("interval" as const), intervalMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
);
const storedJob: fc.Arbitrary<StoredJob> = fc
  .record({
    id: text,
    name: text,
    schedule,
    status: fc.constantFrom(...JOB_STATUSES),
    payloadJson: text,
    maxRetries: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    timeoutSecs: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    createdAt: anyDate,
    nextRunAt: fc.option(anyDate, { nil: undefined }),
    overlap: fc.constantFrom(...OVERLAP_POLICIES),
    key: fc.option(text, { nil: undefined }),
    startAt: fc.option(anyDate, { nil: undefined }),
    endAt: fc.option(anyDate, { nil: undefined }),
  })
  .map(({ nextRunAt, key, startAt, endAt, ...job }) => ({
    ...job,
    ...(nextRunAt === undefined ? {} : { nextRunAt }),
    ...(key === undefined ? {} : { key }),
    ...(startAt === undefined ? {} : { startAt }),
    ...(endAt === undefined ? {} : { endAt }),
  }));
const execution: fc.Arbitrary<JobExecution> = fc
  .record({
    id: text,
    jobId: text,
    startedAt: anyDate,
    finishedAt: fc.option(anyDate, { nil: undefined }),
    result: fc.constantFrom(...EXECUTION_RESULTS),
    error: fc.option(text, { nil: undefined }),
    attempt: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    trigger: fc.option(fc.constantFrom(...EXECUTION_TRIGGERS), { nil: undefined }),
  })
  .map(({ finishedAt, error, trigger, ...e }) => ({
    ...e,
    ...(finishedAt === undefined ? {} : { finishedAt }),
    ...(error === undefined ? {} : { error }),
    ...(trigger === undefined ? {} : { trigger }),
  }));

describe("list page byte budget", () => {
  it("bounds each item's encoded size from above, for any job and execution", () => {
    fc.assert(
      fc.property(storedJob, (job) => {
        const actual = toBinary(ListJobsResponseSchema, create(ListJobsResponseSchema, { jobs: [jobToProto(job)] })).length;
        expect(jobEntryBytes(job)).toBeGreaterThanOrEqual(actual);
        // ...and not by much: unset fields and varints counted at their longest.
        expect(jobEntryBytes(job)).toBeLessThanOrEqual(actual + 128);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(execution, (e) => {
        const actual = toBinary(ListExecutionsResponseSchema, create(ListExecutionsResponseSchema, { executions: [executionToProto(e)] })).length;
        expect(executionEntryBytes(e)).toBeGreaterThanOrEqual(actual);
      }),
      { numRuns: 2_000 },
    );
  });

  it("returns 18 jobs of about 1 MiB over several pages at the default page size, each under 2 MiB", async () => {
    const server = await createTestServer({ clock: "manual" });
    const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
    const raw = createClient(SchedulerService, createGrpcTransport({ baseUrl: server.url }));
    try {
      const names: string[] = [];
      for (let i = 0; i < 18; i++) {
        // About 1 MiB each: every other payload at the 1 MiB limit, the others 1,000,000 bytes.
        const bytes = i % 2 === 0 ? MiB : 1_000_000;
        const job = await client.createJob({ name: `big-${i}`, schedule: { type: "interval", intervalMs: 60_000 }, payload: "x".repeat(bytes - 2) });
        names.push(job.name);
      }
      const pages: { items: number; bytes: number }[] = [];
      const listed: string[] = [];
      let token = "";
      do {
        const res = await raw.listJobs({ pageToken: token }); // page_size 0: the default, 100
        const bytes = toBinary(ListJobsResponseSchema, res).length;
        pages.push({ items: res.jobs.length, bytes });
        listed.push(...res.jobs.map((j) => j.name));
        token = res.nextPageToken;
      } while (token !== "");
      console.log(
        `pages: 18 jobs (9 x 1,048,576 B and 9 x 1,000,000 B payloads) at page size 100 -> ${pages.length} pages: ` +
          pages.map((p) => `${p.items} job(s) ${p.bytes} B`).join(", ") +
          ` (budget ${LIST_RESPONSE_MAX_BYTES} B)`,
      );
      expect(listed).toEqual(names);
      expect(pages.length).toBeGreaterThan(5);
      for (const p of pages) {
        expect(p.bytes).toBeLessThanOrEqual(LIST_RESPONSE_MAX_BYTES);
        expect(p.items).toBeGreaterThan(0);
      }
      // Pages take as many jobs as fit: two of these, never three.
      expect(pages.length).toBe(9);
      // The client pages until the token is empty, so it gets every job, short pages or not.
      expect((await client.listJobs()).map((j) => j.name)).toEqual(names);
      const iterated: string[] = [];
      for await (const job of client.iterateJobs({ namePrefix: "big-1" }, { pageSize: 1000 })) iterated.push(job.name);
      expect(iterated).toEqual(names.filter((n) => n.startsWith("big-1")));
    } finally {
      await client.close();
      await server.close();
    }
  }, 60_000);

  it("keeps ListExecutions pages under 2 MiB too: 1,000 executions with 12 kB errors at page size 1000", async () => {
    const server = await createTestServer({
      clock: "manual",
      executionHistoryLimit: 1_000,
      executor: () => {
        throw new Error("\u3042".repeat(5_000)); // kept as 4,096 characters + "…": 12,291 bytes of UTF-8
      },
    });
    const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
    const raw = createClient(SchedulerService, createGrpcTransport({ baseUrl: server.url }));
    try {
      const job = await client.createJob({ name: "failing", schedule: { type: "interval", intervalMs: 1_000 }, payload: null });
      await server.advanceTime(1_000_000);
      const pages: { items: number; bytes: number }[] = [];
      let total = 0;
      let token = "";
      do {
        const res = await raw.listExecutions({ jobId: job.id, pageSize: 1_000, pageToken: token });
        pages.push({ items: res.executions.length, bytes: toBinary(ListExecutionsResponseSchema, res).length });
        total += res.executions.length;
        token = res.nextPageToken;
      } while (token !== "");
      console.log(`pages: 1,000 executions at page size 1000 -> ${pages.length} pages: ${pages.map((p) => `${p.items} (${p.bytes} B)`).join(", ")}`);
      expect(total).toBe(1_000);
      for (const p of pages) expect(p.bytes).toBeLessThanOrEqual(LIST_RESPONSE_MAX_BYTES);
      expect(pages.length).toBeGreaterThan(5);
      expect(await client.getExecutions(job.id, { pageSize: 1_000 })).toHaveLength(1_000);
    } finally {
      await client.close();
      await server.close();
    }
  }, 60_000);
});
