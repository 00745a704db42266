/**
 * The clients the transport suite compares, each behind the same three calls. Every client sends
 * the same messages with a 10 s deadline, and every create carries a fresh idempotency key, as
 * GrpcSchedulerClient's creates do.
 */
import { randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import * as path from "node:path";
import { create, type DescMessage, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createRequire } from "node:module";
import type { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import {
  CreateJobRequestSchema,
  CreateJobResponseSchema,
  GetJobRequestSchema,
  GetJobResponseSchema,
  ListJobsRequestSchema,
  ListJobsResponseSchema,
  SchedulerService,
} from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { buildPackage } from "./cold-start-build.js";
import { BENCH_JOB, BENCH_START } from "./transport-fixtures.js";

/** This package's code under test, from its CommonJS build: what users run, not tsx output. */
export interface Subjects {
  GrpcSchedulerClient: typeof GrpcSchedulerClient;
  createHttp2GrpcTransport: typeof import("../../src/grpc/http2-grpc-transport.js").createHttp2GrpcTransport;
  decoderFor: typeof import("../../src/grpc/compiled-decoder.js").decoderFor;
  jobFromProto: typeof import("../../src/mapping/job-mapping.js").jobFromProto;
}

export async function loadSubjects(log: (line: string) => void): Promise<Subjects> {
  const entry = await buildPackage(log);
  const load = createRequire(__filename);
  const pkg = load(entry) as typeof import("../../src/index.js");
  const transport = load(path.join(path.dirname(entry), "grpc", "http2-grpc-transport.js")) as typeof import("../../src/grpc/http2-grpc-transport.js");
  const decoder = load(path.join(path.dirname(entry), "grpc", "compiled-decoder.js")) as typeof import("../../src/grpc/compiled-decoder.js");
  const mapping = load(path.join(path.dirname(entry), "mapping", "job-mapping.js")) as typeof import("../../src/mapping/job-mapping.js");
  return {
    GrpcSchedulerClient: pkg.GrpcSchedulerClient,
    createHttp2GrpcTransport: transport.createHttp2GrpcTransport,
    decoderFor: decoder.decoderFor,
    jobFromProto: mapping.jobFromProto,
  };
}

const TIMEOUT_MS = 10_000;

/** One client under test. */
export interface BenchClient {
  readonly label: string;
  getJob(id: string): Promise<unknown>;
  createJob(): Promise<unknown>;
  /** Every job, paging with `pageSize`; resolves with how many there were. */
  listAll(pageSize: number): Promise<number>;
  close(): Promise<void>;
}

/** The clients in this process; the grpc-go client runs in its own (bench/suites/go-client.ts). */
export type ClientKind = "facade" | "facade-connect" | "generated-lean" | "generated-connect" | "grpc-js" | "bare-http2";

export const CLIENT_LABELS: Record<ClientKind, string> = {
  facade: "GrpcSchedulerClient",
  "facade-connect": "GrpcSchedulerClient, transport: \"connect\" (before)",
  "generated-lean": "generated client on the node-http2 transport",
  "generated-connect": "generated Connect client (createGrpcTransport)",
  "grpc-js": "@grpc/grpc-js + @grpc/proto-loader",
  "bare-http2": "bare node:http2 + the SDK's decode and mapping (Node's floor)",
};

export function createBenchClient(kind: ClientKind, url: string, subjects: Subjects): BenchClient {
  switch (kind) {
    case "facade":
      return facadeClient(kind, new subjects.GrpcSchedulerClient(url, { clock: { now: () => BENCH_START } }));
    case "facade-connect":
      return facadeClient(kind, new subjects.GrpcSchedulerClient(url, { clock: { now: () => BENCH_START }, transport: "connect" }));
    case "generated-lean": {
      const sessionManager = new Http2SessionManager(url);
      return generatedClient(kind, subjects.createHttp2GrpcTransport({ baseUrl: url, sessionManager }), () => sessionManager.abort());
    }
    case "generated-connect": {
      const sessionManager = new Http2SessionManager(url);
      return generatedClient(kind, createGrpcTransport({ baseUrl: url, sessionManager }), () => sessionManager.abort());
    }
    case "grpc-js":
      return grpcJsClient(url);
    case "bare-http2":
      return bareHttp2Client(url, subjects);
  }
}

function facadeClient(kind: ClientKind, client: GrpcSchedulerClient): BenchClient {
  return {
    label: CLIENT_LABELS[kind],
    getJob: (id) => client.getJob(id),
    createJob: () => client.createJob(BENCH_JOB),
    listAll: async (pageSize) => (await client.listJobs(undefined, { pageSize })).length,
    close: () => client.close(),
  };
}

const intervalSchedule = { kind: { case: "interval" as const, value: { interval: { seconds: BigInt(BENCH_JOB.schedule.intervalMs / 1000), nanos: 0 } } } };

/** The CreateJobRequest of BENCH_JOB, with a fresh idempotency key. */
const createRequest = (): MessageInitShape<typeof CreateJobRequestSchema> => ({
  name: BENCH_JOB.name,
  schedule: intervalSchedule,
  payloadJson: JSON.stringify(BENCH_JOB.payload),
  maxRetries: BENCH_JOB.maxRetries,
  timeoutSecs: BENCH_JOB.timeoutSecs,
  idempotencyKey: randomUUID(),
});

function generatedClient(kind: ClientKind, transport: Parameters<typeof createClient>[1], close: () => void): BenchClient {
  const client = createClient(SchedulerService, transport);
  const options = { timeoutMs: TIMEOUT_MS };
  return {
    label: CLIENT_LABELS[kind],
    getJob: (jobId) => client.getJob({ jobId }, options),
    createJob: () => client.createJob(createRequest(), options),
    async listAll(pageSize) {
      let count = 0;
      let token = "";
      do {
        const res = await client.listJobs({ pageSize, pageToken: token }, options);
        count += res.jobs.length;
        token = res.nextPageToken;
      } while (token !== "");
      return count;
    },
    close: async () => close(),
  };
}

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
interface GrpcJsService extends grpc.Client {
  getJob(req: object, options: grpc.CallOptions, cb: Callback<unknown>): void;
  createJob(req: object, options: grpc.CallOptions, cb: Callback<unknown>): void;
  listJobs(req: object, options: grpc.CallOptions, cb: Callback<{ jobs: unknown[]; nextPageToken: string }>): void;
}

/** The stack under Google's generated Node.js clients, loaded as its users load it. */
function grpcJsClient(url: string): BenchClient {
  const definition = protoLoader.loadSync("k1s0/system/scheduler/v1/scheduler_service.proto", {
    includeDirs: [path.join(__dirname, "..", "..", "proto")],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { k1s0: { system: { scheduler: { v1: { SchedulerService: new (target: string, creds: grpc.ChannelCredentials) => GrpcJsService } } } } };
  const client = new pkg.k1s0.system.scheduler.v1.SchedulerService(new URL(url).host, grpc.credentials.createInsecure());
  const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + TIMEOUT_MS });
  const call = <T>(invoke: (cb: Callback<T>) => void): Promise<T> => new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res))));
  return {
    label: CLIENT_LABELS["grpc-js"],
    getJob: (jobId) => call((cb) => client.getJob({ jobId }, deadline(), cb)),
    createJob: () =>
      call((cb) =>
        client.createJob(
          {
            name: BENCH_JOB.name,
            schedule: { interval: { interval: { seconds: BENCH_JOB.schedule.intervalMs / 1000, nanos: 0 } } },
            payloadJson: JSON.stringify(BENCH_JOB.payload),
            maxRetries: BENCH_JOB.maxRetries,
            timeoutSecs: BENCH_JOB.timeoutSecs,
            idempotencyKey: randomUUID(),
          },
          deadline(),
          cb,
        ),
      ),
    async listAll(pageSize) {
      let count = 0;
      let token = "";
      do {
        const res = await call<{ jobs: unknown[]; nextPageToken: string }>((cb) => client.listJobs({ pageSize, pageToken: token }, deadline(), cb));
        count += res.jobs.length;
        token = res.nextPageToken;
      } while (token !== "");
      return count;
    },
    close: async () => client.close(),
  };
}

/**
 * Node's floor: one node:http2 session, a stream per call with a constant header object, the
 * request framed by hand, response chunks collected and checked for `grpc-status: 0`, then the
 * same decoder and the same mapping to domain types as GrpcSchedulerClient. No deadline timer,
 * validation, retries, abort signals, interceptors or error translation.
 */
function bareHttp2Client(url: string, subjects: Subjects): BenchClient {
  const session = http2.connect(url);
  session.on("error", () => undefined);
  const headers = (rpc: string): http2.OutgoingHttpHeaders => ({
    ":method": "POST",
    ":path": `/${SchedulerService.typeName}/${rpc}`,
    "content-type": "application/grpc+proto",
    te: "trailers",
    "grpc-timeout": `${TIMEOUT_MS}m`,
  });
  const call = <I extends DescMessage, O extends DescMessage>(rpc: string, input: I, output: O, init: MessageInitShape<I>): Promise<MessageShape<O>> => {
    const message = toBinary(input, create(input, init));
    const body = Buffer.allocUnsafe(5 + message.length);
    body[0] = 0;
    body.writeUInt32BE(message.length, 1);
    body.set(message, 5);
    const decode = subjects.decoderFor(output);
    return new Promise((resolve, reject) => {
      const stream = session.request(headers(rpc));
      const chunks: Buffer[] = [];
      let status: string | undefined;
      stream.on("trailers", (t: http2.IncomingHttpHeaders) => (status = String(t["grpc-status"])));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => {
        if (status !== "0") return reject(new Error(`${rpc}: grpc-status ${status}`));
        const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        resolve(decode(bytes.subarray(5, 5 + bytes.readUInt32BE(1))));
      });
      stream.end(body);
    });
  };
  return {
    label: CLIENT_LABELS["bare-http2"],
    getJob: async (jobId) => subjects.jobFromProto((await call("GetJob", GetJobRequestSchema, GetJobResponseSchema, { jobId })).job),
    createJob: async () => subjects.jobFromProto((await call("CreateJob", CreateJobRequestSchema, CreateJobResponseSchema, createRequest())).job),
    async listAll(pageSize) {
      let count = 0;
      let token = "";
      do {
        const res = await call("ListJobs", ListJobsRequestSchema, ListJobsResponseSchema, { pageSize, pageToken: token });
        count += res.jobs.map(subjects.jobFromProto).length;
        token = res.nextPageToken;
      } while (token !== "");
      return count;
    },
    close: () => new Promise((resolve) => session.close(() => resolve())),
  };
}
