import * as http2 from "node:http2";
import * as net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { CreateJobRequestSchema } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServerOptions } from "@k1s0/scheduler-client/testing";
import { TEST_SERVER_LIMIT_DEFAULTS } from "../../src/testing/test-server.js";
import { mb, startChildServer } from "./support/child-server.js";

const CREATE_JOB = "/k1s0.system.scheduler.v1.SchedulerService/CreateJob";
const interval = { type: "interval", intervalMs: 3_600_000 } as const;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface HalfOpen {
  stream: http2.ClientHttp2Stream;
  /** When the server closed it (ms since the test's start), and with which RST code. */
  closedAt?: number;
}

/**
 * A raw HTTP/2 connection that opens `count` CreateJob streams at once and never sends their
 * bodies. They go out before the server's SETTINGS arrive, so the server (not this client) is
 * what holds the ones beyond its limit back. Its own session memory limit is raised: Node.js
 * counts the request bytes of streams the server reset against it.
 */
function openHalfOpenStreams(url: string, count: number, t0: number) {
  const session = http2.connect(url, { peerMaxConcurrentStreams: 10_000, maxSessionMemory: 1_000 });
  session.on("error", () => undefined);
  let goawayAt: number | undefined;
  session.on("goaway", () => (goawayAt ??= Date.now() - t0));
  const closed = new Promise<number>((resolve) => session.once("close", () => resolve(Date.now() - t0)));
  const streams: HalfOpen[] = [];
  for (let i = 0; i < count; i++) {
    const stream = session.request({ ":method": "POST", ":path": CREATE_JOB, "content-type": "application/grpc", te: "trailers" }, { endStream: false });
    const entry: HalfOpen = { stream };
    stream.on("error", () => undefined);
    stream.on("data", () => undefined);
    stream.once("close", () => (entry.closedAt = Date.now() - t0));
    streams.push(entry);
  }
  return { session, streams, closed, goawayAt: () => goawayAt };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("test server connection limits", () => {
  it("refuses streams beyond maxConcurrentStreams, resets idle ones, closes idle connections; a real client works throughout", async () => {
    const limits = { maxConcurrentStreams: 100, streamIdleTimeoutMs: 1_500, idleConnectionTimeoutMs: 1_000, maxConnections: 50 };
    const server = await startChildServer(limits);
    const client = new GrpcSchedulerClient(server.url, { retry: false });
    try {
      const first = await client.createJob({ name: "before", schedule: interval, payload: 1 });
      const before = await server.stats();
      const t0 = Date.now();
      const connections = Array.from({ length: 20 }, () => openHalfOpenStreams(server.url, 150, t0));
      const all = connections.flatMap((c) => c.streams);
      // Beyond 100 per connection: refused at once (REFUSED_STREAM, safe for a client to retry).
      await until(() => all.filter((s) => s.stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM).length === 20 * 50, 5_000);
      await sleep(300);
      // Held: every stream not refused (on a loaded machine some may already be reset as idle).
      const held = all.filter((s) => s.stream.rstCode !== http2.constants.NGHTTP2_REFUSED_STREAM);
      const during = await server.stats();
      // The real client is served while 2,000 half-open streams are held.
      const during1 = await client.createJob({ name: "during", schedule: interval, payload: 2 });
      expect((await client.getJob(first.id)).name).toBe("before");
      // Held streams are reset once idle for streamIdleTimeoutMs (RST_STREAM CANCEL)...
      await until(() => held.every((s) => s.closedAt !== undefined), 10_000);
      const resetAt = held.map((s) => s.closedAt ?? 0);
      // ...and then their connections, idle for idleConnectionTimeoutMs, are closed (GOAWAY).
      const closedAt = await Promise.all(connections.map((c) => c.closed));
      const after = await server.stats();
      console.log(
        `half-open: 20 connections x 150 streams without a body: ${all.length - held.length} refused (REFUSED_STREAM), ${held.length} held; ` +
          `held ones reset after ${Math.min(...resetAt)}-${Math.max(...resetAt)} ms (streamIdleTimeoutMs ${limits.streamIdleTimeoutMs}); ` +
          `connections closed after ${Math.min(...closedAt)}-${Math.max(...closedAt)} ms (idleConnectionTimeoutMs ${limits.idleConnectionTimeoutMs}); ` +
          `server RSS ${mb(before.rss)} MB before, ${mb(during.rss)} MB holding them, ${mb(after.rss)} MB after; heap ${mb(before.heapUsed)} / ${mb(during.heapUsed)} / ${mb(after.heapUsed)} MB`,
      );
      expect(held).toHaveLength(20 * 100);
      expect(held.every((s) => s.stream.rstCode === http2.constants.NGHTTP2_CANCEL)).toBe(true);
      expect(Math.min(...resetAt)).toBeGreaterThanOrEqual(limits.streamIdleTimeoutMs - 50);
      expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(Math.min(...resetAt) + limits.idleConnectionTimeoutMs - 50);
      expect(connections.every((c) => c.goawayAt() !== undefined)).toBe(true);
      // What the held calls took is given back once they are reset.
      expect(after.heapUsed - before.heapUsed).toBeLessThan(16 * 1024 * 1024);
      // The real client's own connection went idle and was closed too: its next call reconnects.
      expect((await client.getJob(during1.id)).name).toBe("during");
      expect(server.alive()).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  }, 60_000);

  it("resets a call only when it is idle: a request trickling in slower than in one timeout still completes", async () => {
    const server = await createTestServer({ clock: "manual", streamIdleTimeoutMs: 400 });
    const session = http2.connect(server.url);
    try {
      const body = toBinary(CreateJobRequestSchema, create(CreateJobRequestSchema, { name: "slow", payloadJson: "null", schedule: { kind: { case: "interval", value: { interval: { seconds: 60n } } } } }));
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      const stream = session.request({ ":method": "POST", ":path": CREATE_JOB, "content-type": "application/grpc", te: "trailers" });
      stream.on("data", () => undefined);
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("trailers", resolve));
      const start = Date.now();
      // A byte every 150 ms: about 1.5 s in all, more than three timeouts, never idle for one.
      for (let i = 0; i < 10; i++) {
        stream.write(frame.subarray(i, i + 1));
        await sleep(150);
      }
      stream.end(frame.subarray(10));
      expect((await trailers)["grpc-status"]).toBe("0");
      expect(Date.now() - start).toBeGreaterThan(3 * 400);
      // One that stops sending is reset after the timeout.
      const stalled = session.request({ ":method": "POST", ":path": CREATE_JOB, "content-type": "application/grpc", te: "trailers" });
      stalled.on("error", () => undefined);
      stalled.write(frame.subarray(0, 3));
      const stalledAt = Date.now();
      await new Promise((resolve) => stalled.once("close", resolve));
      expect(stalled.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
      expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(350);
    } finally {
      session.destroy();
      await server.close();
    }
  });

  it("closes a connection that never speaks HTTP/2 after idleConnectionTimeoutMs", async () => {
    const server = await createTestServer({ clock: "manual", idleConnectionTimeoutMs: 300 });
    try {
      const socket = net.connect(server.port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.resume();
      const start = Date.now();
      await new Promise((resolve) => socket.once("close", resolve));
      const elapsed = Date.now() - start;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await server.close();
    }
  });

  it("at maxConnections, closes the connection idle the longest for a new one, or the new one when all are busy", async () => {
    const server = await createTestServer({ clock: "manual", maxConnections: 2 });
    const raw: net.Socket[] = [];
    try {
      const closedOrder: number[] = [];
      for (let i = 0; i < 2; i++) {
        const socket = net.connect(server.port, "127.0.0.1");
        socket.on("error", () => undefined);
        socket.resume();
        socket.once("close", () => closedOrder.push(i));
        raw.push(socket);
        await sleep(50);
      }
      const client = new GrpcSchedulerClient(server.url, { retry: false });
      await client.createJob({ name: "fits", schedule: interval, payload: null });
      await until(() => closedOrder.length > 0, 5_000);
      expect(closedOrder).toEqual([0]); // the idlest connection made room
      await client.close();
      for (const s of raw) s.destroy();
      // Two connections busy with a call each: a third is closed at once.
      const t0 = Date.now();
      const busy = [openHalfOpenStreams(server.url, 1, t0), openHalfOpenStreams(server.url, 1, t0)];
      await sleep(200);
      const refused = new GrpcSchedulerClient(server.url, { retry: false, timeoutMs: 5_000 });
      const err = (await refused.getJob("x").catch((e: unknown) => e)) as SchedulerError;
      await refused.close();
      console.log(`maxConnections 2, both busy: a third connection is refused: ${err.code} "${err.message}"`);
      expect(err.code).toBe("SERVER_ERROR");
      for (const b of busy) b.session.destroy();
    } finally {
      for (const s of raw) s.destroy();
      await server.close();
    }
  });

  it("under `ulimit -n 256`, 300 idle sockets leave room for a real client (without maxConnections they do not)", async () => {
    const outcomes: string[] = [];
    for (const maxConnections of [TEST_SERVER_LIMIT_DEFAULTS.maxConnections, 1_000_000]) {
      const server = await startChildServer({ maxConnections }, 256);
      const port = Number(new URL(server.url).port);
      const sockets: net.Socket[] = [];
      const client = new GrpcSchedulerClient(server.url, { retry: false, timeoutMs: 5_000 });
      try {
        // Idle sockets that never read (so they never close their side).
        for (let i = 0; i < 300; i++) {
          const socket = net.connect(port, "127.0.0.1");
          socket.on("error", () => undefined);
          sockets.push(socket);
        }
        await sleep(1_000);
        const outcome = await client.createJob({ name: "legit", schedule: interval, payload: null }).then(
          () => "ok",
          (e: SchedulerError) => e.code,
        );
        outcomes.push(`maxConnections ${maxConnections}: ${outcome}`);
        expect(server.alive()).toBe(true);
      } finally {
        await client.close();
        for (const s of sockets) s.destroy();
        await server.close();
      }
    }
    console.log(`ulimit -n 256, 300 idle sockets, then a real call: ${outcomes.join("; ")}`);
    expect(outcomes).toEqual([`maxConnections ${TEST_SERVER_LIMIT_DEFAULTS.maxConnections}: ok`, "maxConnections 1000000: SERVER_ERROR"]);
  }, 60_000);

  it("rejects bad limit options with INVALID_ARGUMENT naming the option and the value", async () => {
    const bad: [keyof TestServerOptions, unknown][] = [
      ["maxJobs", 0],
      ["maxStoredBytes", -1],
      ["maxConcurrentStreams", Infinity],
      ["maxConcurrentStreams", 2 ** 32],
      ["maxConnections", 1.5],
      ["idleConnectionTimeoutMs", Number.NaN],
      ["streamIdleTimeoutMs", 2 ** 31],
      ["streamIdleTimeoutMs", "60000"],
    ];
    for (const [option, value] of bad) {
      const options: Record<string, unknown> = { [option]: value };
      const err = (await createTestServer(options).catch((e: unknown) => e)) as SchedulerError;
      expect({ code: err.code, field: err.field }).toEqual({ code: "INVALID_ARGUMENT", field: option });
      expect(err.message).toContain(option);
      expect(err.message).toContain(typeof value === "string" ? `"${value}"` : String(value));
    }
    // Infinity turns a limit or timeout off where that makes sense.
    const unlimited = await createTestServer({ clock: "manual", maxJobs: Infinity, maxStoredBytes: Infinity, maxConnections: Infinity, idleConnectionTimeoutMs: Infinity, streamIdleTimeoutMs: Infinity });
    const client = new GrpcSchedulerClient(unlimited.url);
    await expect(client.createJob({ name: "ok", schedule: interval, payload: null })).resolves.toMatchObject({ name: "ok" });
    await client.close();
    await unlimited.close();
  });
});
