import * as http2 from "node:http2";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { toSchedulerError } from "../../src/mapping/error-mapping.js";
import { GrpcSchedulerClient, InMemorySchedulerClient, type JobRequest, SchedulerError, type SchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";

jest.setTimeout(180_000);

const report = (line: string): void => void process.stdout.write(`[fuzz] ${line}\n`);

// Inputs shaped like real mistakes: near-miss cron expressions, bogus zones, odd schedules.
const cronField = fc.oneof(fc.constant("*"), fc.integer({ min: -5, max: 99 }).map(String), fc.constantFrom("*/5", "1-5", "MON", "L", "?", "#", ",", "JAN-DEC", "1,2,", "a"));
const cronExpression = fc.oneof(
  fc.array(cronField, { minLength: 0, maxLength: 8 }).map((f) => f.join(" ")),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("@daily", "@hourly", "@yearly", "@reboot", "@every 5m", "0 2 * * *", "0 0 30 2 *"),
);
const timezone = fc.oneof(fc.constant(undefined), fc.constantFrom("UTC", "Asia/Tokyo", "America/New_York", "Mars/Base", "+09:00", "", "utc", "Etc/GMT+9"), fc.string({ maxLength: 20 }));
const schedule = fc.oneof(
  fc.record({ type: fc.constant("cron"), expression: cronExpression, timezone }),
  fc.record({ type: fc.constant("one_shot"), runAt: fc.oneof(fc.date(), fc.constant(new Date(Number.NaN)), fc.anything()) }),
  fc.record({ type: fc.constant("interval"), intervalMs: fc.oneof(fc.integer(), fc.double(), fc.anything()) }),
  fc.anything(),
);
const request = fc.record({
  name: fc.oneof({ weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 250 }) }, { weight: 1, arbitrary: fc.anything() }),
  schedule,
  payload: fc.oneof({ weight: 4, arbitrary: fc.jsonValue() }, { weight: 1, arbitrary: fc.anything() }),
  maxRetries: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.integer({ min: -10, max: 200 }), fc.double(), fc.anything()),
  timeoutSecs: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.anything()),
});

const ALLOWED = new Set(["INVALID_SCHEDULE", "INVALID_ARGUMENT"]);

async function fuzz(client: SchedulerClient, runs: number): Promise<{ accepted: number; rejected: Map<string, number> }> {
  let accepted = 0;
  const rejected = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      try {
        await client.createJob(req as JobRequest);
        accepted++;
      } catch (err) {
        // Only SchedulerErrors, and only the two codes that mean "bad input".
        if (!(err instanceof SchedulerError) || !ALLOWED.has(err.code)) throw err;
        rejected.set(err.code, (rejected.get(err.code) ?? 0) + 1);
      }
    }),
    { numRuns: runs, seed: 20261129 },
  );
  return { accepted, rejected };
}

describe("fuzzed input (fast-check)", () => {
  it("the in-memory client throws only INVALID_* SchedulerErrors", async () => {
    const { accepted, rejected } = await fuzz(new InMemorySchedulerClient({ clock: "manual" }), 2_000);
    report(`in-memory: runs=2000 accepted=${accepted} rejected=${JSON.stringify([...rejected])}`);
    expect(accepted + [...rejected.values()].reduce((a, b) => a + b, 0)).toBe(2_000);
  });

  it("the gRPC client and the server do the same, and the server keeps serving", async () => {
    const server = await createTestServer({ clock: "manual" });
    const client = new GrpcSchedulerClient(server.url);
    const { accepted, rejected } = await fuzz(client, 1_000);
    report(`grpc: runs=1000 accepted=${accepted} rejected=${JSON.stringify([...rejected])}`);
    expect(await client.listJobs()).toHaveLength(accepted);
    await client.close();
    await server.close();
  });

  it("server-side rules hold for any wire request (names, cron, zones, payload text)", async () => {
    const server = await createTestServer({ clock: "manual" });
    const raw = createClient(SchedulerService, createGrpcTransport({ baseUrl: server.url }));
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 250 }), cronExpression, fc.string({ maxLength: 30 }), fc.string({ maxLength: 60 }), async (name, expression, tz, payloadJson) => {
        try {
          await raw.createJob({ name, payloadJson, schedule: { kind: { case: "cron", value: { expression, timezone: tz } } } });
        } catch (err) {
          const e = toSchedulerError(err);
          if (!ALLOWED.has(e.code)) throw err;
        }
      }),
      { numRuns: 500, seed: 7 },
    );
    expect(await raw.listJobs({})).toBeDefined();
    await server.close();
  });
});

describe("malformed and oversized messages sent straight to the server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
  });
  afterAll(() => server.close());

  /** Sends raw bytes as a gRPC request and returns the grpc-status the server answered with. */
  function send(body: Buffer, method = "CreateJob"): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(server.url);
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": `/k1s0.system.scheduler.v1.SchedulerService/${method}`, "content-type": "application/grpc", te: "trailers" });
      let status: string | undefined;
      stream.on("response", (headers) => (status = headers["grpc-status"] as string | undefined));
      stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
      stream.on("data", () => undefined);
      stream.on("error", () => undefined);
      stream.on("close", () => {
        session.close();
        resolve(status);
      });
      stream.end(body);
    });
  }
  const frame = (payload: Buffer): Buffer => {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(payload.length, 1);
    return Buffer.concat([header, payload]);
  };

  it("answers garbage protobuf, a truncated frame and an oversized message with a gRPC error", async () => {
    const garbage = await send(frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12])));
    const truncated = await send(Buffer.from([0, 0, 0, 1, 0, 1, 2]));
    const oversized = await send(frame(Buffer.alloc(5 * 1024 * 1024, 0x41)));
    report(`malformed: garbage=${garbage} truncated=${truncated} oversized=${oversized}`);
    for (const status of [garbage, truncated, oversized]) {
      expect(status).toBeDefined();
      expect(status).not.toBe("0");
    }
    // Still alive and well.
    const client = new GrpcSchedulerClient(server.url);
    expect(await client.listJobs()).toEqual([]);
    await client.close();
  });

  it("fuzzed bytes never crash it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        await send(frame(Buffer.from(bytes)), "ListJobs");
      }),
      { numRuns: 200, seed: 3 },
    );
    const client = new GrpcSchedulerClient(server.url);
    expect(await client.listJobs()).toEqual([]);
    await client.close();
  });
});
