/**
 * Listing suite: every one of 10,000 jobs through `listJobs` (paging) from the real test server in
 * its own process, against grpc-js paging the same listing; the bytes each puts on the wire; and
 * the decoding of one 100-job page by protobuf-es (what Connect and this client use) against
 * protobufjs (what @grpc/proto-loader uses), which is where a listing's client time goes.
 */
import * as path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as protobuf from "protobufjs";
import { ListJobsResponseSchema } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { ManualClock } from "../../src/engine/clock.js";
import { SchedulerEngine } from "../../src/engine/scheduler-engine.js";
import { jobToProto } from "../../src/mapping/job-mapping.js";
import { toJobSpec } from "../../src/validation/request-rules.js";
import { alternate } from "../lib/alternate.js";
import type { Figure, Reading, SuiteResult } from "../lib/report.js";
import type { BenchSuite } from "../lib/suite.js";
import { startByteCounter } from "./byte-counter.js";
import { type BenchClient, CLIENT_LABELS, type ClientKind, createBenchClient, loadSubjects, type Subjects } from "./transport-clients.js";
import { BENCH_JOB, BENCH_START } from "./transport-fixtures.js";
import { startServerProcess } from "./transport-process.js";

const PAGE_SIZES = [100, 1000] as const;

/** Full listings per second, for `durationMs` (at least one listing). */
async function listingsPerSecond(client: BenchClient, pageSize: number, expected: number, durationMs: number): Promise<number> {
  let listings = 0;
  const start = performance.now();
  do {
    const count = await client.listAll(pageSize);
    if (count !== expected) throw new Error(`${client.label} listed ${count} jobs, expected ${expected}`);
    listings++;
  } while (performance.now() - start < durationMs);
  return (listings / (performance.now() - start)) * 1000;
}

/** Bytes both ways for one listing, through a counting TCP relay (a fresh connection each). */
async function wireBytes(kind: ClientKind, serverUrl: string, pageSize: number, subjects: Subjects): Promise<number> {
  const relay = await startByteCounter(serverUrl);
  const client = createBenchClient(kind, relay.url, subjects);
  try {
    await client.listAll(pageSize);
  } finally {
    await client.close();
  }
  const total = relay.sent() + relay.received();
  await relay.close();
  return total;
}

function pageBytes(): Uint8Array {
  const engine = new SchedulerEngine({ clock: new ManualClock(BENCH_START) });
  const jobs = Array.from({ length: 100 }, (_, i) => jobToProto(engine.createJob(toJobSpec({ ...BENCH_JOB, name: `${BENCH_JOB.name}-${i}` }, BENCH_START))));
  return toBinary(ListJobsResponseSchema, create(ListJobsResponseSchema, { jobs, nextPageToken: "" }));
}

/** Decodes per second of `decode` over `durationMs`. */
function decodesPerSecond(decode: () => unknown, durationMs: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  do {
    decode();
    n++;
  } while (performance.now() - start < durationMs);
  return Promise.resolve((n / (performance.now() - start)) * 1000);
}

export const listingSuite: BenchSuite = {
  id: "listing",
  async run(settings): Promise<SuiteResult> {
    const jobs = settings.smoke ? 300 : 10_000;
    const durationMs = settings.smoke ? 50 : 2_000;
    const subjects = await loadSubjects(settings.log);
    const server = await startServerProcess(["--mode=engine", `--jobs=${jobs}`]);
    const figures: Figure[] = [];
    const readings: Reading[] = [];
    try {
      const facade = createBenchClient("facade", server.url, subjects);
      const grpcJs = createBenchClient("grpc-js", server.url, subjects);
      try {
        for (const pageSize of PAGE_SIZES) {
          const { baseline, subject } = await alternate(
            settings.rounds,
            () => listingsPerSecond(grpcJs, pageSize, jobs, durationMs),
            () => listingsPerSecond(facade, pageSize, jobs, durationMs),
          );
          const pages = Math.ceil(jobs / pageSize);
          figures.push({
            name: `list all ${jobs.toLocaleString("en-US")} jobs, pageSize ${pageSize} (${pages} calls per listing): listings/s`,
            unit: "listings/s",
            baseline: { label: CLIENT_LABELS["grpc-js"], values: baseline },
            subject: { label: CLIENT_LABELS.facade, values: subject },
            higherIsBetter: true,
            goal: 1.0,
          });
          readings.push({ name: `listJobs calls/s, pageSize ${pageSize} (${CLIENT_LABELS.facade})`, unit: "calls/s", values: subject.map((v) => v * pages) });
          settings.log(`  listing: pageSize ${pageSize} done`);
        }
      } finally {
        await facade.close();
        await grpcJs.close();
      }
      for (const pageSize of PAGE_SIZES) {
        const { baseline, subject } = await alternate(
          settings.rounds,
          () => wireBytes("grpc-js", server.url, pageSize, subjects),
          () => wireBytes("facade", server.url, pageSize, subjects),
        );
        figures.push({
          name: `bytes on the wire (both ways, connection set-up included) to list ${jobs.toLocaleString("en-US")} jobs, pageSize ${pageSize}`,
          unit: "B",
          baseline: { label: CLIENT_LABELS["grpc-js"], values: baseline },
          subject: { label: CLIENT_LABELS.facade, values: subject },
          higherIsBetter: false,
        });
      }
    } finally {
      await server.stop();
    }
    const bytes = pageBytes();
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith("google/") ? target : path.join(__dirname, "..", "..", "proto", target));
    root.loadSync("k1s0/system/scheduler/v1/scheduler_service.proto");
    const pbjs = root.lookupType("k1s0.system.scheduler.v1.ListJobsResponse");
    const compiled = subjects.decoderFor(ListJobsResponseSchema);
    const toObjectOptions = { longs: String, enums: String, defaults: true, oneofs: true };
    const vsProtoLoader = await alternate(
      settings.rounds,
      () => decodesPerSecond(() => pbjs.toObject(pbjs.decode(bytes), toObjectOptions), durationMs / 2),
      () => decodesPerSecond(() => compiled(bytes), durationMs / 2),
    );
    const vsFromBinary = await alternate(
      settings.rounds,
      () => decodesPerSecond(() => fromBinary(ListJobsResponseSchema, bytes), durationMs / 2),
      () => decodesPerSecond(() => compiled(bytes), durationMs / 2),
    );
    const page = `decode one ${bytes.length.toLocaleString("en-US")}-byte page of 100 jobs (in process)`;
    const subject = { label: "this client's decoder compiled from the descriptors", values: [] as number[] };
    figures.push(
      {
        name: `${page}, vs grpc-js's deserializer`,
        unit: "pages/s",
        baseline: { label: "protobufjs decode + toObject (what @grpc/proto-loader runs)", values: vsProtoLoader.baseline },
        subject: { ...subject, values: vsProtoLoader.subject },
        higherIsBetter: true,
      },
      {
        name: `${page}, vs protobuf-es`,
        unit: "pages/s",
        baseline: { label: "protobuf-es fromBinary (what createGrpcTransport runs)", values: vsFromBinary.baseline },
        subject: { ...subject, values: vsFromBinary.subject },
        higherIsBetter: true,
      },
    );
    return {
      title: "Listing: 10,000 jobs through listJobs",
      method: [
        `The real test server (createTestServer, manual clock) in its own process holding ${jobs.toLocaleString("en-US")} jobs; this process lists all of them, page after page, with GrpcSchedulerClient.listJobs and with grpc-js paging the same ListJobs RPC, each for ${durationMs} ms per round, alternating, ${settings.rounds} rounds after a warm-up.`,
        "Bytes on the wire: one listing per client through a TCP relay that counts the bytes both ways (a fresh HTTP/2 connection each, so the set-up is included).",
        "Decode: one 100-job ListJobsResponse decoded in a loop by each decoder, in this process (this client's decoder from the build).",
      ].join(" "),
      figures,
      readings,
      notes: [
        "The test server compresses responses larger than 1 KiB with gzip when the client accepts it; both clients do (grpc-accept-encoding), so both pay for inflating every page and the bytes on the wire are the same.",
        "Decode: the decoders alone, on the same bytes. This client's decoder (src/grpc/compiled-decoder.ts) builds the same protobuf-es messages fromBinary builds (property-tested), from JavaScript generated once per message type (an object literal with every field and a switch on the tag, as protobuf.js generates).",
      ],
    };
  },
};
