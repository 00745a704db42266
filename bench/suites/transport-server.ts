/**
 * The server side of the transport suite, in its own process (client and server never share an
 * event loop or a core's time slices unfairly). Prints one JSON line `{ url, jobId }` and runs
 * until stdin closes, then prints its CPU time.
 *
 *   --mode=replay   a bare node:http2 gRPC server answering GetJob, CreateJob and ListJobs with
 *                   messages the real engine produced at start-up (one job; a page of 100 jobs),
 *                   so the server costs almost nothing and the figures measure the clients.
 *   --mode=engine   the real test server (`createTestServer`, manual clock) with --jobs=N jobs.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import {
  CreateJobResponseSchema,
  GetJobResponseSchema,
  ListJobsResponseSchema,
  SchedulerService,
} from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { ManualClock } from "../../src/engine/clock.js";
import { SchedulerEngine } from "../../src/engine/scheduler-engine.js";
import { jobToProto } from "../../src/mapping/job-mapping.js";
import { toJobSpec } from "../../src/validation/request-rules.js";
import { BENCH_JOB, BENCH_START } from "./transport-fixtures.js";

function arg(name: string, fallback: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

function frame<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Buffer {
  const bytes = toBinary(schema, create(schema, init));
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

async function replayServer(): Promise<{ url: string; jobId: string; close(): Promise<void> }> {
  const engine = new SchedulerEngine({ clock: new ManualClock(BENCH_START) });
  const jobs = Array.from({ length: 100 }, (_, i) => jobToProto(engine.createJob(toJobSpec({ ...BENCH_JOB, name: `${BENCH_JOB.name}-${i}` }, BENCH_START))));
  const job = jobs[0];
  const bodies = new Map<string, Buffer>([
    [`/${SchedulerService.typeName}/GetJob`, frame(GetJobResponseSchema, { job })],
    [`/${SchedulerService.typeName}/CreateJob`, frame(CreateJobResponseSchema, { job })],
    [`/${SchedulerService.typeName}/ListJobs`, frame(ListJobsResponseSchema, { jobs, nextPageToken: "" })],
  ]);
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    stream.resume();
    stream.on("end", () => {
      const body = bodies.get(String(headers[":path"]));
      if (body === undefined) {
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto", "grpc-status": "12" }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, jobId: job.id, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function engineServer(jobs: number): Promise<{ url: string; jobId: string; close(): Promise<void> }> {
  const server = await createTestServer({ clock: "manual", startTime: new Date(BENCH_START) });
  const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
  let jobId = "";
  const batch = 256;
  for (let i = 0; i < jobs; i += batch) {
    const created = await Promise.all(
      Array.from({ length: Math.min(batch, jobs - i) }, (_, k) => client.createJob({ ...BENCH_JOB, name: `${BENCH_JOB.name}-${i + k}` })),
    );
    jobId ||= created[0].id;
  }
  await client.close();
  return { url: server.url, jobId, close: () => server.close() };
}

async function main(): Promise<void> {
  const mode = arg("mode", "replay");
  const server = mode === "engine" ? await engineServer(Number(arg("jobs", "1"))) : await replayServer();
  process.stdout.write(`${JSON.stringify({ url: server.url, jobId: server.jobId })}\n`);
  process.stdin.resume();
  process.stdin.once("end", () => {
    const cpu = process.cpuUsage();
    void server.close().then(() => {
      process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
      process.exit(0);
    });
  });
}

void main();
