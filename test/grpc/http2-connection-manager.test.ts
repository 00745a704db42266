/**
 * The client's HTTP/2 connection manager on real sockets: keepalive PINGs and their timeout, the
 * check of an idle connection before reuse, idle and connect timeouts, a server's "too many
 * pings", and peers that are not HTTP/2 gRPC servers. Every failure must come back as a rejected
 * request (a ConnectError), never as an unhandled 'error' event (jest would fail the run).
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { Http2ConnectionManager, type Http2ConnectionOptions } from "../../src/grpc/http2-connection-manager.js";
import { ChaosProxy } from "../support/chaos-proxy.js";
import { frame } from "../support/http2-frames.js";

const DEFAULTS: Http2ConnectionOptions = { pingIntervalMs: 300_000, pingTimeoutMs: 15_000, idleConnectionTimeoutMs: 900_000, connectTimeoutMs: 20_000 };
const GET_JOB = "/k1s0.system.scheduler.v1.SchedulerService/GetJob";

/** One request on `manager`: resolves with the HTTP status, or rejects as the manager or stream fails. */
async function roundTrip(manager: Http2ConnectionManager): Promise<number> {
  const stream = await manager.request("POST", GET_JOB, { "content-type": "application/grpc", te: "trailers" }, {});
  return new Promise((resolve, reject) => {
    let status = 0;
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.on("data", () => manager.notifyResponseByteRead(stream));
    stream.on("error", reject);
    stream.on("close", () => (status === 0 ? reject(new ConnectError(`stream closed with ${stream.rstCode}`, Code.Unavailable)) : resolve(status)));
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

const rejection = async (p: Promise<unknown>): Promise<ConnectError> => ConnectError.from(await p.then(() => new Error("expected a failure"), (e: unknown) => e));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting until ${what}`);
}

async function listen(server: net.Server): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}


describe("Http2ConnectionManager", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
  });
  afterAll(() => server.close());

  it("drops a connection that stops answering, by PING, with UNAVAILABLE and no deadline needed", async () => {
    const proxy = await ChaosProxy.start(server.port);
    const manager = new Http2ConnectionManager(proxy.url, { ...DEFAULTS, pingIntervalMs: 50, pingTimeoutMs: 50, connectTimeoutMs: 300 });
    try {
      expect(await roundTrip(manager)).toBe(200);
      proxy.blackHole();
      // The stream's keepalive PING (or, when the connection sat idle past the PING interval,
      // the PING that checks it before reuse) goes unanswered: the call fails on its own.
      const err = await rejection(roundTrip(manager));
      expect(err.code).toBe(Code.Unavailable);
      expect(`${err.message} ${String((err.cause as Error | undefined)?.message)}`).toMatch(/PING timed out after 50 ms|within 300 ms/);
      proxy.heal();
      expect(await roundTrip(manager)).toBe(200);
      expect(proxy.connections).toBeGreaterThanOrEqual(2);
    } finally {
      await manager.close();
      await proxy.close();
    }
  });

  it("checks an idle connection with a PING before reusing it", async () => {
    const proxy = await ChaosProxy.start(server.port);
    const manager = new Http2ConnectionManager(proxy.url, { ...DEFAULTS, pingIntervalMs: 20, pingTimeoutMs: 1_000 });
    try {
      for (let i = 0; i < 3; i++) {
        expect(await roundTrip(manager)).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(proxy.connections).toBe(1);
    } finally {
      await manager.close();
      await proxy.close();
    }
  });

  it("closes a connection idle for idleConnectionTimeoutMs; the next request opens a new one", async () => {
    const manager = new Http2ConnectionManager(server.url, { ...DEFAULTS, idleConnectionTimeoutMs: 30 });
    expect(await roundTrip(manager)).toBe(200);
    expect(manager.connectionCount).toBe(1);
    await until(() => manager.connectionCount === 0, "the idle connection is closed");
    expect(await roundTrip(manager)).toBe(200);
    await manager.close();
  });

  it("gives up on a peer that accepts but never sends HTTP/2 SETTINGS after connectTimeoutMs", async () => {
    const silent = await listen(net.createServer(() => undefined));
    const manager = new Http2ConnectionManager(silent.url, { ...DEFAULTS, connectTimeoutMs: 100 });
    const err = await rejection(roundTrip(manager));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.message).toMatch(/no HTTP\/2 connection to http:\/\/127\.0\.0\.1:\d+ within 100 ms/);
    await manager.close();
    await silent.close();
  });

  it("pings half as often after a server's GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\" (gRFC A8)", async () => {
    const calm = await listen(
      net.createServer((socket) => {
        socket.write(frame(4, 0, Buffer.alloc(0)));
        socket.once("data", () => {
          const goaway = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 11]), Buffer.from("too_many_pings")]);
          socket.write(Buffer.concat([frame(4, 1, Buffer.alloc(0)), frame(7, 0, goaway)]));
        });
      }),
    );
    const manager = new Http2ConnectionManager(calm.url, { ...DEFAULTS, pingIntervalMs: 1_000 });
    await rejection(roundTrip(manager));
    expect(manager.pingIntervalMs).toBe(2_000);
    await manager.close();
    await calm.close();
  });

  it("reports peers that are not HTTP/2 gRPC servers as UNAVAILABLE, with what is wrong", async () => {
    const http1 = await listen(http.createServer((_req, res) => res.end("hello")));
    const h1 = new Http2ConnectionManager(http1.url, DEFAULTS);
    expect((await rejection(roundTrip(h1))).code).toBe(Code.Unavailable);
    await h1.close();
    await http1.close();

    // An https:// URL to a plaintext server.
    const plain = http2.createServer();
    const tlsToPlain = new Http2ConnectionManager((await listen(plain)).url.replace("http:", "https:"), DEFAULTS);
    const err = await rejection(roundTrip(tlsToPlain));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.message).toMatch(/did not answer with TLS: use an http:\/\/ URL/);
    await tlsToPlain.close();
    plain.close();

    // A peer that closes every connection at once.
    const closing = await listen(net.createServer((s) => s.destroy()));
    const closed = new Http2ConnectionManager(closing.url, DEFAULTS);
    expect((await rejection(roundTrip(closed))).code).toBe(Code.Unavailable);
    await closed.close();
    await closing.close();
  });

  it("refuses requests once closed, and close() is idempotent", async () => {
    const manager = new Http2ConnectionManager(server.url, DEFAULTS);
    expect(await roundTrip(manager)).toBe(200);
    await Promise.all([manager.close(), manager.close()]);
    expect(manager.connectionCount).toBe(0);
    const err = await rejection(roundTrip(manager));
    expect(err.message).toMatch(/the client is closed/);
  });
});
