import * as http2 from "node:http2";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { type CreateJobRequest, CreateJobRequestSchema, SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { MAX_REQUEST_BYTES } from "../../src/testing/test-server.js";
import { LIMITS } from "../../src/validation/limits.js";
import { MiB, mb, startChildServer } from "./support/child-server.js";

const CREATE_JOB = "/k1s0.system.scheduler.v1.SchedulerService/CreateJob";

/** Sends a gRPC frame header announcing `announced` bytes, then up to `send` bytes of body as flow control allows. */
async function oversizedPost(url: string, announced: number, send: number) {
  const session = http2.connect(url);
  session.on("error", () => undefined);
  const stream = session.request({ ":method": "POST", ":path": CREATE_JOB, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  stream.on("data", () => undefined);
  let trailers: http2.IncomingHttpHeaders = {};
  stream.on("trailers", (t: http2.IncomingHttpHeaders) => {
    trailers = t;
  });
  const closed = new Promise<void>((resolve) => stream.once("close", resolve));
  const header = Buffer.alloc(5);
  header.writeUInt32BE(announced, 1);
  stream.write(header);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  while (written < send && !stream.closed && !stream.destroyed) {
    written += chunk.length;
    if (!stream.write(chunk)) await Promise.race([new Promise((resolve) => stream.once("drain", resolve)), closed]);
  }
  if (!stream.closed) stream.end();
  await closed;
  // What the server took in: the flow-control window the client used up.
  const accepted = written - stream.writableLength;
  session.destroy();
  return { trailers, rstCode: stream.rstCode, written, accepted };
}

/** The largest valid CreateJobRequest for the protobuf encoding (most UTF-8 bytes per field). */
function largestBinaryRequest(): CreateJobRequest {
  return create(CreateJobRequestSchema, {
    name: "\u{1D4B3}".repeat(LIMITS.nameMaxLength), // 200 code points of 4 UTF-8 bytes
    schedule: { kind: { case: "cron", value: { expression: `*${" ".repeat(245)} * * * * *`, timezone: longestTimeZone() } } },
    payloadJson: `"${"x".repeat(LIMITS.payloadMaxBytes - 2)}"`,
    maxRetries: LIMITS.maxRetries,
    timeoutSecs: LIMITS.timeoutSecsMax,
    idempotencyKey: "k".repeat(128),
  });
}

/** The largest valid CreateJobRequest for the JSON encoding (escaping doubles the payload). */
function largestJsonRequest(): CreateJobRequest {
  return create(CreateJobRequestSchema, {
    name: "\u0001".repeat(LIMITS.nameMaxLength), // 200 control characters: "\u0001" each in JSON
    schedule: { kind: { case: "cron", value: { expression: `*${" ".repeat(245)} * * * * *`, timezone: longestTimeZone() } } },
    payloadJson: `"${"\\\\".repeat((LIMITS.payloadMaxBytes - 2) / 2)}"`, // a JSON string of backslashes: 1 MiB, 2 MiB escaped
    maxRetries: LIMITS.maxRetries,
    timeoutSecs: LIMITS.timeoutSecsMax,
    idempotencyKey: '"'.repeat(128),
  });
}

function longestTimeZone(): string {
  return Intl.supportedValuesOf("timeZone").reduce((a, b) => (b.length > a.length ? b : a));
}

describe("request size limit", () => {
  it("refuses a request announcing 256 MiB with RESOURCE_EXHAUSTED without buffering it (8 MiB sent)", async () => {
    const server = await startChildServer();
    try {
      const before = await server.stats();
      const result = await oversizedPost(server.url, 256 * MiB, 8 * MiB);
      const after = await server.stats();
      console.log(
        `oversized: announced 256 MiB, client had ${mb(result.written)} MB of 8 MB written when the server reset the stream ` +
          `(rst code ${result.rstCode}), server took in ${mb(result.accepted)} MB; grpc-status ${String(result.trailers["grpc-status"])} ` +
          `"${decodeURIComponent(String(result.trailers["grpc-message"]))}"; server RSS ${mb(before.rss)} -> ${mb(after.rss)} MB, heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB`,
      );
      expect(result.trailers["grpc-status"]).toBe("8"); // RESOURCE_EXHAUSTED
      expect(decodeURIComponent(String(result.trailers["grpc-message"]))).toContain(`readMaxBytes ${MAX_REQUEST_BYTES}`);
      expect(result.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      expect(result.accepted).toBeLessThan(MiB);
      expect(after.rss - before.rss).toBeLessThan(16 * MiB);
      expect(server.alive()).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("reads the largest valid request, binary and JSON, and refuses one byte more before reading it", async () => {
    const binary = largestBinaryRequest();
    const json = largestJsonRequest();
    const binaryBytes = toBinary(CreateJobRequestSchema, binary).length;
    const jsonBytes = Buffer.byteLength(toJsonString(CreateJobRequestSchema, json));
    console.log(`largest valid CreateJobRequest: ${binaryBytes} B in protobuf, ${jsonBytes} B in JSON; readMaxBytes ${MAX_REQUEST_BYTES}`);
    expect(binaryBytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(jsonBytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    const server = await createTestServer({ clock: "manual" });
    try {
      const grpc = createClient(SchedulerService, createGrpcTransport({ baseUrl: server.url }));
      const connectJson = createClient(SchedulerService, createConnectTransport({ baseUrl: server.url, httpVersion: "2", useBinaryFormat: false }));
      expect((await grpc.createJob(binary)).job?.name).toBe(binary.name);
      expect((await connectJson.createJob(json)).job?.name).toBe(json.name);
      const refused = await oversizedPost(server.url, MAX_REQUEST_BYTES + 1, MAX_REQUEST_BYTES + 1);
      expect(refused.trailers["grpc-status"]).toBe("8");
      expect(refused.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      expect(refused.accepted).toBeLessThan(MiB);
    } finally {
      await server.close();
    }
  }, 60_000);
});
