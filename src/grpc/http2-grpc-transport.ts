import * as http2 from "node:http2";
import * as zlib from "node:zlib";
import { create, type DescMessage, type DescMethodUnary, isMessage, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { type Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { validateResponse, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import { hasCauseCode } from "../internal/cause-chain.js";
import { decoderFor } from "./compiled-decoder.js";

/** Options of {@link createHttp2GrpcTransport}. */
export interface Http2GrpcTransportOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8093`; must be the session manager's origin. */
  baseUrl: string;
  /** The HTTP/2 connection (keepalive, reconnects) the calls run on. */
  sessionManager: Http2SessionManager;
  /** Connect interceptors, outermost first, applied to every call as Connect's transports do. */
  interceptors?: Interceptor[];
  /** Largest response message accepted; a bigger one fails with `RESOURCE_EXHAUSTED`. @default 16 MiB */
  readMaxBytes?: number;
}

type HeaderInit = ConstructorParameters<typeof Headers>[0];

const DEFAULT_READ_MAX_BYTES = 16 * 1024 * 1024;
const USER_AGENT = "k1s0-scheduler-client (grpc; connect-es/2.1.2 api)";

/**
 * A Connect `Transport` for the gRPC protocol (binary protobuf; gzip-compressed responses
 * accepted, requests sent uncompressed) written directly on `node:http2` for unary calls: one
 * write per request, response bytes collected from the stream's events, one `AbortController`
 * and one timer per call, no async iterables. It keeps
 * Connect's contract - interceptors see the same `UnaryRequest`/`UnaryResponse`, errors are
 * `ConnectError`s decoded by Connect's own gRPC status parser (details included), deadlines
 * abort the request's signal with `DEADLINE_EXCEEDED` - and runs on connect-node's
 * `Http2SessionManager`, so keepalive and reconnect behave exactly as with
 * `createGrpcTransport`. Streaming methods are delegated to `createGrpcTransport`.
 *
 * Why: on Node.js 20 Connect's generic transport spends most of a small unary call in async
 * generators, linked abort controllers and a `DOMException` per finished call; see
 * bench/RESULTS.md for the figures.
 */
export function createHttp2GrpcTransport(options: Http2GrpcTransportOptions): Transport {
  const { baseUrl, sessionManager, interceptors = [], readMaxBytes = DEFAULT_READ_MAX_BYTES } = options;
  const base = baseUrl.replace(/\/+$/, "");
  const pathPrefix = new URL(base).pathname.replace(/\/+$/, "");
  let streaming: Transport | undefined;

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeaderInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const deadline = timeoutMs === undefined || timeoutMs <= 0 ? undefined : timeoutMs;
      const call = new CallSignal(signal, deadline);
      const path = `${pathPrefix}/${method.parent.typeName}/${method.name}`;
      const req: UnaryRequest<I, O> = {
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `${base}/${method.parent.typeName}/${method.name}`,
        header: requestHeader(header, deadline),
        contextValues: contextValues ?? createContextValues(),
        message: (isMessage(input, method.input) ? input : create(method.input, input)),
        signal: call.signal,
      };
      let next = (r: UnaryRequest<I, O>): Promise<UnaryResponse<I, O>> => exchange(sessionManager, path, r, readMaxBytes);
      for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i](next as never) as unknown as typeof next;
      try {
        return await next(req);
      } catch (err) {
        throw call.aborted() ?? ConnectError.from(err);
      } finally {
        call.done();
      }
    },

    stream(method, signal, timeoutMs, header, input, contextValues) {
      streaming ??= createGrpcTransport({ baseUrl, sessionManager, interceptors });
      return streaming.stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}

/**
 * The signal of one call: aborted by the caller's signal (`CANCELED`) or the deadline
 * (`DEADLINE_EXCEEDED`). Finishing the call clears the timer and the listener and does not abort,
 * so a successful call creates no abort reason at all.
 */
class CallSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(
    private readonly caller: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    if (caller !== undefined) {
      this.onCallerAbort = () => this.abort(ConnectError.from(caller.reason, Code.Canceled));
      if (caller.aborted) this.onCallerAbort();
      else caller.addEventListener("abort", this.onCallerAbort);
    }
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The ConnectError the call was aborted with, if it was. */
  aborted(): ConnectError | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as ConnectError) : undefined;
  }

  done(): void {
    clearTimeout(this.timer);
    if (this.onCallerAbort !== undefined) this.caller?.removeEventListener("abort", this.onCallerAbort);
  }

  private abort(reason: ConnectError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

function requestHeader(init: HeaderInit | undefined, timeoutMs: number | undefined): Headers {
  const header = new Headers(init);
  header.set("content-type", "application/grpc+proto");
  header.set("te", "trailers");
  if (!header.has("user-agent")) header.set("user-agent", USER_AGENT);
  header.set("grpc-accept-encoding", "gzip");
  if (timeoutMs !== undefined) header.set("grpc-timeout", `${Math.ceil(timeoutMs)}m`);
  return header;
}

/** One gRPC unary exchange on an HTTP/2 stream. */
function exchange<I extends DescMessage, O extends DescMessage>(
  sessionManager: Http2SessionManager,
  path: string,
  req: UnaryRequest<I, O>,
  readMaxBytes: number,
): Promise<UnaryResponse<I, O>> {
  const { signal } = req;
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  const body = envelope(toBinary(req.method.input, req.message));
  const nodeHeaders: http2.OutgoingHttpHeaders = {};
  req.header.forEach((value, key) => {
    nodeHeaders[key] = value;
  });
  return new Promise<UnaryResponse<I, O>>((resolve, reject) => {
    let stream: http2.ClientHttp2Stream | undefined;
    let settled = false;
    const settle = (err: ConnectError | undefined, res?: UnaryResponse<I, O>): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      if (err === undefined) resolve(res!);
      else {
        if (stream !== undefined && !stream.closed) stream.close(err.code === Code.Canceled || err.code === Code.DeadlineExceeded ? http2.constants.NGHTTP2_CANCEL : http2.constants.NGHTTP2_INTERNAL_ERROR);
        reject(err);
      }
    };
    const onAbort = (): void => settle(ConnectError.from(signal.reason, Code.Canceled));
    signal.addEventListener("abort", onAbort);

    sessionManager.request("POST", path, nodeHeaders, {}).then((s) => {
      stream = s;
      if (settled) {
        s.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      let headers: http2.IncomingHttpHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      let failure: unknown;
      s.on("response", (h) => {
        headers = h;
      });
      s.on("trailers", (t: http2.IncomingHttpHeaders) => {
        trailers = t;
      });
      s.on("data", (chunk: Buffer) => {
        sessionManager.notifyResponseByteRead(s);
        received += chunk.length;
        if (received > readMaxBytes + 5) {
          settle(new ConnectError(`message larger than configured max ${readMaxBytes} bytes`, Code.ResourceExhausted));
          return;
        }
        chunks.push(chunk);
      });
      s.on("error", (e) => {
        failure ??= e;
      });
      s.on("end", () => {
        if (headers === undefined) return; // no response: the "close" handler reports why
        try {
          settle(undefined, parseResponse(req, headers, trailers ?? {}, chunks, received, readMaxBytes));
        } catch (e) {
          settle(ConnectError.from(e));
        }
      });
      s.on("close", () => {
        if (settled) return;
        settle(streamFailure(s.rstCode, failure));
      });
      s.end(body);
    }, (e: unknown) => settle(fromNodeError(e)));
  });
}

const COMPRESSED_FLAG = 0b01;

/**
 * A compressed response message: gzip is the one encoding requests advertise
 * (`grpc-accept-encoding`), as servers compress only what the client accepts. Inflated
 * synchronously (responses are small; Connect's server compresses from 1 KiB) and never past
 * `readMaxBytes`.
 */
function decompress(data: Buffer, encoding: string | string[] | undefined, readMaxBytes: number): Buffer {
  if (encoding === undefined || encoding === "identity") {
    throw new ConnectError("protocol error: received a compressed message without grpc-encoding", Code.Internal);
  }
  if (encoding !== "gzip") throw new ConnectError(`unsupported response encoding "${String(encoding)}"`, Code.Internal);
  try {
    return zlib.gunzipSync(data, { maxOutputLength: readMaxBytes });
  } catch (e) {
    if ((e as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new ConnectError(`message larger than configured max ${readMaxBytes} bytes`, Code.ResourceExhausted);
    }
    throw new ConnectError(`decompress gzip: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

function envelope(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

function parseResponse<I extends DescMessage, O extends DescMessage>(
  req: UnaryRequest<I, O>,
  nodeHeaders: http2.IncomingHttpHeaders,
  nodeTrailers: http2.IncomingHttpHeaders,
  chunks: Buffer[],
  received: number,
  readMaxBytes: number,
): UnaryResponse<I, O> {
  if (!isPlainSuccess(nodeHeaders, nodeTrailers)) {
    // Anything but a plain OK goes through Connect's own checks: HTTP status, content type,
    // trailers-only errors, grpc-status-details-bin with its error details.
    const header = toHeaders(nodeHeaders);
    const trailer = toHeaders(nodeTrailers);
    const { headerError } = validateResponse(Number(nodeHeaders[":status"] ?? 0), header);
    validateTrailer(trailer, header);
    if (headerError !== undefined) throw headerError;
  }
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  if (bytes.length === 0) {
    throw new ConnectError("protocol error: missing output message for unary method", nodeTrailers["grpc-status"] !== undefined ? Code.Unimplemented : Code.Unknown);
  }
  if (bytes.length < 5) throw new ConnectError("protocol error: incomplete envelope", Code.Internal);
  const length = bytes.readUInt32BE(1);
  if (bytes.length < 5 + length) throw new ConnectError("protocol error: incomplete envelope", Code.Internal);
  if (bytes.length > 5 + length) throw new ConnectError("protocol error: received extra output message for unary method", Code.Unimplemented);
  const payload = (bytes[0] & COMPRESSED_FLAG) === 0 ? bytes.subarray(5) : decompress(bytes.subarray(5), nodeHeaders["grpc-encoding"], readMaxBytes);
  let message: MessageShape<O>;
  try {
    message = decoderFor(req.method.output)(payload);
  } catch (e) {
    throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
  return new LazyUnaryResponse(req, message, nodeHeaders, nodeTrailers);
}

/** HTTP 200, a gRPC content type, `grpc-status: 0` in the trailers and no status in the headers. */
function isPlainSuccess(nodeHeaders: http2.IncomingHttpHeaders, nodeTrailers: http2.IncomingHttpHeaders): boolean {
  const contentType = nodeHeaders["content-type"];
  return (
    Number(nodeHeaders[":status"]) === 200 &&
    typeof contentType === "string" &&
    (contentType === "application/grpc" || contentType.startsWith("application/grpc+proto")) &&
    nodeHeaders["grpc-status"] === undefined &&
    nodeTrailers["grpc-status"] === "0" &&
    nodeTrailers["grpc-status-details-bin"] === undefined
  );
}

/** A `UnaryResponse` whose `header` and `trailer` become `Headers` only when someone reads them. */
class LazyUnaryResponse<I extends DescMessage, O extends DescMessage> implements UnaryResponse<I, O> {
  readonly stream = false as const;
  readonly service: UnaryRequest<I, O>["service"];
  readonly method: DescMethodUnary<I, O>;
  private headerCache: Headers | undefined;
  private trailerCache: Headers | undefined;

  constructor(
    req: UnaryRequest<I, O>,
    readonly message: MessageShape<O>,
    private readonly nodeHeaders: http2.IncomingHttpHeaders,
    private readonly nodeTrailers: http2.IncomingHttpHeaders,
  ) {
    this.service = req.service;
    this.method = req.method;
  }

  get header(): Headers {
    return (this.headerCache ??= toHeaders(this.nodeHeaders));
  }

  get trailer(): Headers {
    return (this.trailerCache ??= toHeaders(this.nodeTrailers));
  }
}

function toHeaders(nodeHeaders: http2.IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const key of Object.keys(nodeHeaders)) {
    if (key.startsWith(":")) continue;
    const value = nodeHeaders[key];
    if (Array.isArray(value)) for (const v of value) header.append(key, v);
    else if (value !== undefined) header.set(key, value);
  }
  return header;
}

// gRPC's mapping of HTTP/2 RST_STREAM codes (doc/PROTOCOL-HTTP2.md, "Errors").
const RST_CODES = new Map<number, Code>([
  [http2.constants.NGHTTP2_REFUSED_STREAM, Code.Unavailable],
  [http2.constants.NGHTTP2_CANCEL, Code.Canceled],
  [http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, Code.ResourceExhausted],
  [http2.constants.NGHTTP2_INADEQUATE_SECURITY, Code.PermissionDenied],
  [http2.constants.NGHTTP2_HTTP_1_1_REQUIRED, Code.PermissionDenied],
]);

/** Why a stream closed without a complete response. */
function streamFailure(rstCode: number | undefined, cause: unknown): ConnectError {
  if (rstCode !== undefined && rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
    const err = new ConnectError(`http/2 stream closed with error code ${rstCode}`, RST_CODES.get(rstCode) ?? Code.Internal);
    if (cause !== undefined) err.cause = cause;
    return err;
  }
  return cause === undefined ? new ConnectError("http/2 stream closed without a response", Code.Unavailable) : fromNodeError(cause);
}

// Connection-level failures: the request may not have been processed (gRPC: UNAVAILABLE).
const UNAVAILABLE_NODE_ERRORS = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_INVALID_SESSION", "ERR_HTTP2_SESSION_ERROR", "ERR_HTTP2_STREAM_CANCEL"]);

/**
 * A Node.js socket or HTTP/2 error as a ConnectError, keeping the original as `cause`. Errors the
 * session manager already wrapped are re-classified from their cause chain.
 */
function fromNodeError(err: unknown): ConnectError {
  const unavailable = hasCauseCode(err, UNAVAILABLE_NODE_ERRORS);
  if (err instanceof ConnectError) {
    if (!unavailable || err.code === Code.Unavailable) return err;
    const reclassified = new ConnectError(err.rawMessage, Code.Unavailable, err.metadata);
    reclassified.cause = err.cause ?? err;
    return reclassified;
  }
  const ce = ConnectError.from(err, unavailable ? Code.Unavailable : Code.Internal);
  if (ce !== err) ce.cause = err;
  return ce;
}
