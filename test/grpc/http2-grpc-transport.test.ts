/**
 * The lean gRPC transport against real node:http2 servers that answer in every way a gRPC
 * server (or a proxy in front of one) can: the happy path is covered by the contract suite; here
 * are the protocol's edges, each checked against what Connect's own transport reports.
 */
import * as http2 from "node:http2";
import * as zlib from "node:zlib";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { GetJobResponseSchema, SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { ErrorDetailSchema, ErrorReason } from "../../gen/k1s0/system/scheduler/v1/errors_pb.js";
import { Http2ConnectionManager } from "../../src/grpc/http2-connection-manager.js";
import { createHttp2GrpcTransport, encodeTimeout, type Http2GrpcTransportOptions } from "../../src/grpc/http2-grpc-transport.js";
import { retryInterceptor } from "../../src/grpc/retry-interceptor.js";
import { frame } from "../support/http2-frames.js";

/** The client's own connection manager, with the client's default keepalive. */
const connections = (url: string): Http2ConnectionManager =>
  new Http2ConnectionManager(url, { pingIntervalMs: 300_000, pingTimeoutMs: 15_000, idleConnectionTimeoutMs: 900_000, connectTimeoutMs: 20_000 });

type Answer = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

interface Peer {
  url: string;
  seen: http2.IncomingHttpHeaders[];
  /** HTTP/2 connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

async function startPeer(answer: Answer): Promise<Peer> {
  const server = http2.createServer();
  const seen: http2.IncomingHttpHeaders[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  let connections = 0;
  server.on("session", (s) => {
    connections++;
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    seen.push(headers);
    stream.on("error", () => undefined);
    // Read the request fully first, as a gRPC server does.
    stream.resume();
    stream.on("end", () => answer(stream, headers));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const JOB = { id: "job-1", name: "nightly" };

function envelope(bytes: Uint8Array, flags = 0): Buffer {
  const frame = Buffer.alloc(5 + bytes.length);
  frame[0] = flags;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame;
}

const jobBytes = (): Uint8Array => toBinary(GetJobResponseSchema, create(GetJobResponseSchema, { job: JOB }));

/** A normal gRPC answer: headers, body, trailers (with `extra` trailer fields). */
function reply(body: Buffer, trailers: http2.OutgoingHttpHeaders = { "grpc-status": "0" }): Answer {
  return (stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers(trailers));
    stream.end(body);
  };
}

const transports: [string, (url: string, sm: Http2ConnectionManager, interceptors?: Interceptor[]) => Transport][] = [
  ["node-http2", (baseUrl, sessionManager, interceptors = []) => createHttp2GrpcTransport({ baseUrl, sessionManager, interceptors })],
  ["connect", (baseUrl, sessionManager, interceptors = []) => createGrpcTransport({ baseUrl, sessionManager, interceptors })],
];

describe.each(transports)("%s gRPC transport at the protocol's edges", (_name, makeTransport) => {
  let peer: Peer | undefined;
  let sessions: Http2ConnectionManager | undefined;

  afterEach(async () => {
    await sessions?.close();
    await peer?.close();
    peer = undefined;
    sessions = undefined;
  });

  async function clientFor(answer: Answer, interceptors?: Interceptor[]) {
    peer = await startPeer(answer);
    sessions = connections(peer.url);
    return createClient(SchedulerService, makeTransport(peer.url, sessions, interceptors));
  }

  async function failure(promise: Promise<unknown>): Promise<ConnectError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }

  it("sends a gRPC request with a deadline header and decodes the answer", async () => {
    const client = await clientFor(reply(envelope(jobBytes())));
    const res = await client.getJob({ jobId: "job-1" }, { timeoutMs: 5_000 });
    expect(res.job).toMatchObject(JOB);
    const headers = peer!.seen[0];
    expect(headers[":path"]).toBe("/k1s0.system.scheduler.v1.SchedulerService/GetJob");
    expect(headers["content-type"]).toBe("application/grpc+proto");
    expect(headers.te).toBe("trailers");
    expect(headers["grpc-timeout"]).toMatch(/^\d+m$/);
  });

  it("lets interceptors set request headers and read response headers and trailers", async () => {
    const seenByInterceptor: { header?: string | null; trailer?: string | null } = {};
    const interceptor: Interceptor = (next) => async (req) => {
      req.header.set("x-trace", "abc");
      const res = await next(req);
      seenByInterceptor.header = res.header.get("x-server");
      seenByInterceptor.trailer = res.trailer.get("x-summary");
      return res;
    };
    const client = await clientFor((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto", "x-server": "peer" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-summary": "ok" }));
      stream.end(envelope(jobBytes()));
    }, [interceptor]);
    await client.getJob({ jobId: "job-1" });
    expect(peer!.seen[0]["x-trace"]).toBe("abc");
    expect(seenByInterceptor).toEqual({ header: "peer", trailer: "ok" });
  });

  it("takes a copy of the request an interceptor made (spread, headers of its own) and still ends it at its deadline", async () => {
    const copying: Interceptor = (next) => (req) => {
      const header = new Headers(req.header);
      header.set("x-copied", "yes");
      return next({ ...req, header });
    };
    const client = await clientFor((stream, headers) => {
      if (headers["x-late"] === undefined) reply(envelope(jobBytes()))(stream, headers);
    }, [copying]);
    expect((await client.getJob({ jobId: "job-1" }, { timeoutMs: 5_000 })).job?.id).toBe("job-1");
    expect(peer!.seen[0]).toMatchObject({ "x-copied": "yes", "content-type": "application/grpc+proto", te: "trailers" });
    expect(peer!.seen[0]["grpc-timeout"]).toMatch(/^\d+m$/);
    const late = client.getJob({ jobId: "job-1" }, { timeoutMs: 50, headers: { "x-late": "1" } });
    expect((await failure(late)).code).toBe(Code.DeadlineExceeded);
  });

  it("takes a bare copy of the request (spread, nothing changed): the original's headers and signal still apply", async () => {
    const copying: Interceptor = (next) => (req) => next({ ...req });
    const controller = new AbortController();
    const client = await clientFor((stream, headers) => {
      if (headers["x-hang"] === undefined) reply(envelope(jobBytes()))(stream, headers);
      else controller.abort(new Error("caller gave up"));
    }, [copying]);
    expect((await client.getJob({ jobId: "job-1" }, { headers: { "x-mine": "1" } })).job?.id).toBe("job-1");
    expect(peer!.seen[0]).toMatchObject({ "x-mine": "1", te: "trailers" });
    const hanging = client.getJob({ jobId: "job-1" }, { signal: controller.signal, headers: { "x-hang": "1" } });
    expect((await failure(hanging)).code).toBe(Code.Canceled);
  });

  it("reports a trailers-only error with its status, message and error details", async () => {
    const status = setTrailerStatus(
      new Headers(),
      new ConnectError("job job-9 not found", Code.NotFound, undefined, [{ desc: ErrorDetailSchema, value: { reason: ErrorReason.JOB_NOT_FOUND, field: "jobId" } }]),
    );
    const client = await clientFor((stream) => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc+proto", ...Object.fromEntries(status.entries()) },
        { endStream: true },
      );
    });
    const err = await failure(client.getJob({ jobId: "job-9" }));
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toBe("job job-9 not found");
    expect(err.findDetails(ErrorDetailSchema)).toEqual([expect.objectContaining({ reason: ErrorReason.JOB_NOT_FOUND, field: "jobId" })]);
  });

  it("reports an error status sent in the trailers after headers", async () => {
    const client = await clientFor(reply(Buffer.alloc(0), { "grpc-status": String(Code.FailedPrecondition), "grpc-message": "paused" }));
    const err = await failure(client.getJob({ jobId: "job-1" }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe("paused");
  });

  it("maps a non-200 HTTP status (a proxy) to its gRPC code", async () => {
    const client = await clientFor((stream) => {
      stream.respond({ ":status": 503, "content-type": "text/plain" });
      stream.end("upstream down");
    });
    expect((await failure(client.getJob({ jobId: "job-1" }))).code).toBe(Code.Unavailable);
  });

  it("rejects two messages for a unary method", async () => {
    const client = await clientFor(reply(Buffer.concat([envelope(jobBytes()), envelope(jobBytes())])));
    expect((await failure(client.getJob({ jobId: "job-1" }))).code).toBe(Code.Unimplemented);
  });

  it("rejects an OK status without a message", async () => {
    const client = await clientFor(reply(Buffer.alloc(0)));
    expect((await failure(client.getJob({ jobId: "job-1" }))).code).toBe(Code.Unimplemented);
  });

  it("rejects a truncated envelope and a message that is not protobuf", async () => {
    const truncated = envelope(jobBytes()).subarray(0, 12);
    const client = await clientFor(reply(truncated));
    expect([Code.Internal, Code.InvalidArgument]).toContain((await failure(client.getJob({ jobId: "job-1" }))).code);
  });

  it("fails with DEADLINE_EXCEEDED when the server never answers", async () => {
    const client = await clientFor(() => undefined);
    expect((await failure(client.getJob({ jobId: "job-1" }, { timeoutMs: 50 }))).code).toBe(Code.DeadlineExceeded);
  });

  it("fails with CANCELED when the caller aborts", async () => {
    const controller = new AbortController();
    const client = await clientFor(() => controller.abort(new Error("caller gave up")));
    const err = await failure(client.getJob({ jobId: "job-1" }, { signal: controller.signal }));
    expect(err.code).toBe(Code.Canceled);
  });
});

// Where the lean transport follows gRPC's HTTP/2 mapping more closely than connect-node 2.1.2.
describe("node-http2 gRPC transport specifics", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** A client of the lean transport on the client's connection manager, against `answer`. */
  async function leanClientFor(answer: Answer, options: Partial<Http2GrpcTransportOptions> = {}) {
    const peer = await startPeer(answer);
    const sessionManager = connections(peer.url);
    cleanups.push(async () => {
      await sessionManager.close();
      await peer.close();
    });
    return Object.assign(createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager, ...options })), { peer });
  }

  const failureOf = async (promise: Promise<unknown>): Promise<ConnectError> => ConnectError.from(await promise.then(() => new Error("expected a failure"), (e: unknown) => e));

  it("re-sends a refused stream transparently (no retry policy involved), at most 5 times", async () => {
    let refusals = 2;
    const flaky = await leanClientFor((stream) => (refusals-- > 0 ? stream.close(http2.constants.NGHTTP2_REFUSED_STREAM) : reply(envelope(jobBytes()))(stream, {})));
    expect((await flaky.getJob({ jobId: "job-1" })).job).toMatchObject(JOB);
    expect(flaky.peer.seen).toHaveLength(3);

    const refusing = await leanClientFor((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    const err = await failureOf(refusing.getJob({ jobId: "job-1" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(refusing.peer.seen).toHaveLength(6);
  });

  it("re-sends streams above a GOAWAY's last stream id on a new connection", async () => {
    // The first connection goes to a raw HTTP/2 endpoint that answers the first request with
    // GOAWAY(last stream id 0, NO_ERROR): the stream was never processed. Later connections reach
    // a real server.
    const real = await startPeer(reply(envelope(jobBytes())));
    let connectionsSeen = 0;
    const front = net.createServer((socket) => {
      socket.on("error", () => undefined);
      if (connectionsSeen++ > 0) {
        const upstream = net.connect((real.url.match(/:(\d+)$/) ?? [])[1] as unknown as number, "127.0.0.1");
        upstream.on("error", () => socket.destroy());
        socket.pipe(upstream).pipe(socket);
        return;
      }
      socket.write(frame(4, 0, Buffer.alloc(0))); // SETTINGS
      let answered = false;
      socket.on("data", () => {
        if (answered) return;
        answered = true;
        const goaway = Buffer.alloc(8); // last stream id 0, NO_ERROR
        socket.write(Buffer.concat([frame(4, 1, Buffer.alloc(0)), frame(7, 0, goaway)]));
        setTimeout(() => socket.end(), 50);
      });
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const sessionManager = connections(url);
    try {
      const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: url, sessionManager }));
      expect((await client.getJob({ jobId: "job-1" })).job).toMatchObject(JOB);
      expect({ connectionsSeen, served: real.seen.length }).toEqual({ connectionsSeen: 2, served: 1 });
    } finally {
      await sessionManager.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await real.close();
    }
  });

  it("reports a stream reset after the response headers as UNAVAILABLE", async () => {
    const client = await leanClientFor((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
      stream.write(envelope(jobBytes()).subarray(0, 3));
      setTimeout(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 20);
    });
    expect((await failureOf(client.getJob({ jobId: "job-1" }))).code).toBe(Code.Unavailable);
  });

  it("passes a grpc-message with invalid percent-encoding through as it is, keeping the status", async () => {
    const client = await leanClientFor((stream) => stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "no job %E0%A4%A 100%" }, { endStream: true }));
    const err = await failureOf(client.getJob({ jobId: "job-1" }));
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toBe("no job %E0%A4%A 100%");
  });

  it("shows the start of a non-gRPC answer's body (an HTTP 400 from grpc-go, a proxy's 503 page)", async () => {
    const client = await leanClientFor((stream) => {
      stream.respond({ ":status": 400, "content-type": "text/plain; charset=utf-8" });
      stream.end(`invalid gRPC request timeout\n${"x".repeat(1_000)}`);
    });
    const err = await failureOf(client.getJob({ jobId: "job-1" }));
    expect(err.rawMessage).toMatch(/^HTTP 400: invalid gRPC request timeout x+\.\.\.$/);
    expect(err.rawMessage.length).toBeLessThan(260);
  });

  it("sends the time left as grpc-timeout on every attempt, not the whole deadline again", async () => {
    let calls = 0;
    const client = await leanClientFor(
      (stream) => (calls++ === 0 ? stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "14" }, { endStream: true }) : reply(envelope(jobBytes()))(stream, {})),
      { interceptors: [retryInterceptor({ maxAttempts: 2, initialBackoffMs: 200, multiplier: 1, maxBackoffMs: 200 }, () => 1)] },
    );
    await client.getJob({ jobId: "job-1" }, { timeoutMs: 3_000 });
    const sent = client.peer.seen.map((h) => Number(/^(\d+)m$/.exec(String(h["grpc-timeout"]))![1]));
    expect(sent[0]).toBeLessThanOrEqual(3_000);
    // The second attempt left after a 200 ms backoff: at least that much less time remains.
    expect(sent[1]).toBeLessThanOrEqual(sent[0] - 200);
  });

  it("ends a call at its deadline even while an interceptor never settles, and an abort wins too", async () => {
    const stalled: Interceptor = () => () => new Promise(() => undefined);
    const client = await leanClientFor(reply(envelope(jobBytes())), { interceptors: [stalled] });
    expect((await failureOf(client.getJob({ jobId: "job-1" }, { timeoutMs: 100 }))).code).toBe(Code.DeadlineExceeded);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("gave up")), 50);
    expect((await failureOf(client.getJob({ jobId: "job-1" }, { signal: controller.signal }))).code).toBe(Code.Canceled);
  });

  it("refuses a message whose announced length passes the limit as soon as its prefix arrives", async () => {
    const client = await leanClientFor(
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
        const prefix = Buffer.from([0, 0xff, 0xff, 0xff, 0xff]);
        stream.write(prefix); // ... and nothing more: the client must not wait for 4 GiB
      },
      { readMaxBytes: 1024 },
    );
    const err = await failureOf(client.getJob({ jobId: "job-1" }, { timeoutMs: 30_000 }));
    expect(err.code).toBe(Code.ResourceExhausted);
  });

  it("releases a call's timer when an interceptor's factory throws", async () => {
    const broken: Interceptor = () => {
      throw new Error("factory failed");
    };
    const client = await leanClientFor(reply(envelope(jobBytes())), { interceptors: [broken] });
    const controller = new AbortController();
    // Eleven calls sharing one signal: a listener left behind each time would warn at the 11th.
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    for (let i = 0; i < 11; i++) {
      expect((await failureOf(client.getJob({ jobId: "job-1" }, { timeoutMs: 60_000, signal: controller.signal }))).rawMessage).toBe("factory failed");
    }
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("moves new calls to a new connection when a call got no answer at all before its deadline", async () => {
    let streams = 0;
    const client = await leanClientFor((stream) => (streams++ === 0 ? undefined : reply(envelope(jobBytes()))(stream, {})));
    expect((await failureOf(client.getJob({ jobId: "job-1" }, { timeoutMs: 100 }))).code).toBe(Code.DeadlineExceeded);
    expect((await client.getJob({ jobId: "job-1" })).job).toMatchObject(JOB);
    expect(client.peer.connections).toBe(2);
  });

  it("encodes grpc-timeout in at most 8 digits, rounding up, in the finest unit that fits", () => {
    expect(encodeTimeout(1500.5)).toBe("1501m");
    expect(encodeTimeout(0.2)).toBe("1m");
    expect(encodeTimeout(99_999_999)).toBe("99999999m");
    expect(encodeTimeout(100_000_000)).toBe("100000S");
    expect(encodeTimeout(2 ** 31)).toBe("2147484S");
    expect(encodeTimeout(1e11)).toBe("1666667M");
    expect(encodeTimeout(1e15)).toBe("99999999H");
  });

  it("reports a stream that ends without grpc-status (cut mid-response) as UNAVAILABLE, never INTERNAL", async () => {
    const client = await leanClientFor((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
      stream.end(envelope(jobBytes()));
    });
    const err = await failureOf(client.getJob({ jobId: "job-1" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toMatch(/ended before the server sent the call's status/);
  });

  it("resets the stream with CANCEL when the deadline passes", async () => {
    let rstCode: number | undefined;
    const peer = await startPeer((stream) => stream.on("close", () => (rstCode = stream.rstCode)));
    const sessionManager = connections(peer.url);
    try {
      const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager }));
      expect(ConnectError.from(await client.getJob({ jobId: "job-1" }, { timeoutMs: 50 }).catch((e: unknown) => e)).code).toBe(Code.DeadlineExceeded);
      await waitUntil(() => rstCode === http2.constants.NGHTTP2_CANCEL);
    } finally {
      await sessionManager.close();
      await peer.close();
    }
  });

  it("refuses a response larger than readMaxBytes", async () => {
    const peer = await startPeer(reply(envelope(new Uint8Array(64 * 1024))));
    const sessionManager = connections(peer.url);
    try {
      const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager, readMaxBytes: 1024 }));
      const err = await client.getJob({ jobId: "job-1" }).catch((e: unknown) => e);
      expect(ConnectError.from(err).code).toBe(Code.ResourceExhausted);
    } finally {
      await sessionManager.close();
      await peer.close();
    }
  });

  it("reports a refused connection as UNAVAILABLE with the socket error as cause", async () => {
    const peer = await startPeer(reply(envelope(jobBytes())));
    await peer.close();
    const sessionManager = connections(peer.url);
    const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager }));
    const err = ConnectError.from(await client.getJob({ jobId: "job-1" }).catch((e: unknown) => e));
    expect(err.code).toBe(Code.Unavailable);
    expect((err.cause as { code?: string }).code).toBe("ECONNREFUSED");
    await sessionManager.close();
  });

  it("accepts gzip-compressed responses (and says so), refuses other encodings, and caps what gzip inflates to", async () => {
    const gzipped = (encoding: string | undefined, bytes: Uint8Array): Answer => (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto", ...(encoding === undefined ? {} : { "grpc-encoding": encoding }) }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(envelope(zlib.gzipSync(bytes), 1));
    };
    const cases: [Answer, number | undefined, Partial<Http2GrpcTransportOptions>][] = [
      [gzipped("gzip", jobBytes()), undefined, {}],
      [gzipped(undefined, jobBytes()), Code.Internal, {}],
      [gzipped("br", jobBytes()), Code.Internal, {}],
      [gzipped("gzip", new Uint8Array(64 * 1024)), Code.ResourceExhausted, { readMaxBytes: 4096 }],
    ];
    for (const [answer, code, options] of cases) {
      const peer = await startPeer(answer);
      const sessionManager = connections(peer.url);
      try {
        const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager, ...options }));
        const result = await client.getJob({ jobId: "job-1" }).catch((e: unknown) => ConnectError.from(e));
        if (code === undefined) expect(result).toMatchObject({ job: JOB });
        else expect((result as ConnectError).code).toBe(code);
        expect(peer.seen[0]["grpc-accept-encoding"]).toBe("gzip");
      } finally {
        await sessionManager.close();
        await peer.close();
      }
    }
  });

});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
