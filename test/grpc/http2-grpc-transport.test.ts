/**
 * The lean gRPC transport against real node:http2 servers that answer in every way a gRPC
 * server (or a proxy in front of one) can: the happy path is covered by the contract suite; here
 * are the protocol's edges, each checked against what Connect's own transport reports.
 */
import * as http2 from "node:http2";
import * as zlib from "node:zlib";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { GetJobResponseSchema, SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { ErrorDetailSchema, ErrorReason } from "../../gen/k1s0/system/scheduler/v1/errors_pb.js";
import { createHttp2GrpcTransport, type Http2GrpcTransportOptions } from "../../src/grpc/http2-grpc-transport.js";

type Answer = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

interface Peer {
  url: string;
  seen: http2.IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startPeer(answer: Answer): Promise<Peer> {
  const server = http2.createServer();
  const seen: http2.IncomingHttpHeaders[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
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

const transports: [string, (url: string, sm: Http2SessionManager, interceptors?: Interceptor[]) => Transport][] = [
  ["node-http2", (baseUrl, sessionManager, interceptors = []) => createHttp2GrpcTransport({ baseUrl, sessionManager, interceptors })],
  ["connect", (baseUrl, sessionManager, interceptors = []) => createGrpcTransport({ baseUrl, sessionManager, interceptors })],
];

describe.each(transports)("%s gRPC transport at the protocol's edges", (_name, makeTransport) => {
  let peer: Peer | undefined;
  let sessions: Http2SessionManager | undefined;

  afterEach(async () => {
    sessions?.abort();
    await peer?.close();
    peer = undefined;
    sessions = undefined;
  });

  async function clientFor(answer: Answer, interceptors?: Interceptor[]) {
    peer = await startPeer(answer);
    sessions = new Http2SessionManager(peer.url);
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

  it("rejects a response without grpc-status", async () => {
    const client = await clientFor((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
      stream.end(envelope(jobBytes()));
    });
    expect((await failure(client.getJob({ jobId: "job-1" }))).code).toBe(Code.Internal);
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
  it("turns a stream reset by the server into the gRPC code of the reset (REFUSED_STREAM: UNAVAILABLE)", async () => {
    const peer = await startPeer((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    const sessionManager = new Http2SessionManager(peer.url);
    try {
      const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager }));
      expect(ConnectError.from(await client.getJob({ jobId: "job-1" }).catch((e: unknown) => e)).code).toBe(Code.Unavailable);
    } finally {
      sessionManager.abort();
      await peer.close();
    }
  });

  it("resets the stream with CANCEL when the deadline passes", async () => {
    let rstCode: number | undefined;
    const peer = await startPeer((stream) => stream.on("close", () => (rstCode = stream.rstCode)));
    const sessionManager = new Http2SessionManager(peer.url);
    try {
      const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager }));
      expect(ConnectError.from(await client.getJob({ jobId: "job-1" }, { timeoutMs: 50 }).catch((e: unknown) => e)).code).toBe(Code.DeadlineExceeded);
      await waitUntil(() => rstCode === http2.constants.NGHTTP2_CANCEL);
    } finally {
      sessionManager.abort();
      await peer.close();
    }
  });

  it("refuses a response larger than readMaxBytes", async () => {
    const peer = await startPeer(reply(envelope(new Uint8Array(64 * 1024))));
    const sessionManager = new Http2SessionManager(peer.url);
    try {
      const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager, readMaxBytes: 1024 }));
      const err = await client.getJob({ jobId: "job-1" }).catch((e: unknown) => e);
      expect(ConnectError.from(err).code).toBe(Code.ResourceExhausted);
    } finally {
      sessionManager.abort();
      await peer.close();
    }
  });

  it("reports a refused connection as UNAVAILABLE with the socket error as cause", async () => {
    const peer = await startPeer(reply(envelope(jobBytes())));
    await peer.close();
    const sessionManager = new Http2SessionManager(peer.url);
    const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager }));
    const err = ConnectError.from(await client.getJob({ jobId: "job-1" }).catch((e: unknown) => e));
    expect(err.code).toBe(Code.Unavailable);
    expect((err.cause as { code?: string }).code).toBe("ECONNREFUSED");
    sessionManager.abort();
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
      const sessionManager = new Http2SessionManager(peer.url);
      try {
        const client = createClient(SchedulerService, createHttp2GrpcTransport({ baseUrl: peer.url, sessionManager, ...options }));
        const result = await client.getJob({ jobId: "job-1" }).catch((e: unknown) => ConnectError.from(e));
        if (code === undefined) expect(result).toMatchObject({ job: JOB });
        else expect((result as ConnectError).code).toBe(code);
        expect(peer.seen[0]["grpc-accept-encoding"]).toBe("gzip");
      } finally {
        sessionManager.abort();
        await peer.close();
      }
    }
  });

});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
