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
import { createGrpcTransport } from "@connectrpc/connect-node";
import { validateResponse, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import { type Linked, LinkedList } from "../internal/linked-list.js";
import { type DeadlineEntry, DeadlineQueue } from "./deadline-queue.js";
import { decoderFor } from "./compiled-decoder.js";
import { fromNodeError } from "./node-errors.js";
import { messageOf } from "../internal/message-of.js";

/**
 * What the transport needs of the connection manager: connect-node's (unexported)
 * `NodeHttp2ClientSessionManager`, plus what the server never processed.
 */
export interface GrpcSessionManager {
  /** The origin the manager connects to. */
  readonly authority: string;
  /** Opens a stream on a ready connection. */
  request(method: string, path: string, headers: http2.OutgoingHttpHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): Promise<http2.ClientHttp2Stream>;
  /**
   * Opens a stream synchronously when a ready connection is at hand, else returns undefined
   * (and the transport awaits {@link GrpcSessionManager.request}). It may add the request's
   * pseudo-headers to `headers`.
   */
  requestNow?(method: string, path: string, headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream | undefined;
  /** A response arrived on `stream` (keepalive). The transport says so once per response. */
  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void;
  /** Whether the server never processed `stream` (refused, above a GOAWAY's last stream id). */
  unprocessed?(stream: http2.ClientHttp2Stream): boolean;
  /** `stream` reached its deadline without any response: its connection may be dead. */
  suspect?(stream: http2.ClientHttp2Stream): void;
}

/** Options of {@link createHttp2GrpcTransport}. */
export interface Http2GrpcTransportOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8093`; must be the session manager's origin. */
  baseUrl: string;
  /** The HTTP/2 connections (keepalive, reconnects) the calls run on. */
  sessionManager: GrpcSessionManager;
  /** Connect interceptors, outermost first, applied to every call as Connect's transports do. */
  interceptors?: Interceptor[];
  /**
   * Largest response message accepted; a bigger one fails with `RESOURCE_EXHAUSTED` (which the
   * client's retry policy does not retry: the same answer would come again).
   * @default 16 MiB
   */
  readMaxBytes?: number;
  /**
   * Whether every interceptor is known to use the request it is given (read or set its fields,
   * pass it on) rather than copy it: then a request's `signal`, `header` and `contextValues` are
   * made only when read. Otherwise they are made for every call, as own properties, so an
   * interceptor's copy `{ ...req }` carries them. The client sets it when it has no interceptors
   * of the caller's.
   * @default true when there are no interceptors, otherwise false
   */
  lazyRequests?: boolean;
}

type HeaderInit = ConstructorParameters<typeof Headers>[0];

/** A transport whose calls in flight can all be aborted at once (when the client closes). */
export interface AbortableTransport extends Transport {
  /** Rejects every unary call in flight with `reason` and cancels its stream. */
  abortAll(reason: ConnectError): void;
}

/** The default of {@link Http2GrpcTransportOptions.readMaxBytes}. */
export const DEFAULT_READ_MAX_BYTES = 16 * 1024 * 1024;
const USER_AGENT = "k1s0-scheduler-client (grpc; connect-es/2.1.2 api)";
/**
 * Streams the server never processed are re-sent at most this often per call, without using a
 * retry attempt (gRFC A6 transparent retry; grpc-go allows one, more survive a GOAWAY that
 * lands on the replacement connection too), and never past the deadline.
 */
const MAX_TRANSPARENT_RETRIES = 5;

/**
 * A Connect `Transport` for the gRPC protocol (binary protobuf; gzip-compressed responses
 * accepted, requests sent uncompressed) written directly on `node:http2` for unary calls: one
 * write per request, response bytes collected from the stream's events, one promise per call
 * (settled by the exchange or the call's abort), deadlines behind one shared timer
 * ({@link DeadlineQueue}), no async iterables; the request's `Headers`, `AbortSignal` and
 * context values exist only if an interceptor reads them. It keeps Connect's contract -
 * interceptors see the same `UnaryRequest`/`UnaryResponse`, errors are `ConnectError`s decoded
 * by Connect's own gRPC status parser (details included), deadlines abort the request's signal
 * with `DEADLINE_EXCEEDED` - and runs on a session manager (the client's
 * `Http2ConnectionManager`). Streaming methods are delegated to `createGrpcTransport`.
 *
 * Beyond Connect's transport: the deadline covers the interceptors too (a stalled token
 * provider cannot outlive it), each attempt sends the time left as `grpc-timeout`, streams the
 * server never processed are retried transparently, and a stream cut before its status is
 * `UNAVAILABLE`.
 *
 * Why: on Node.js 20 Connect's generic transport spends most of a small unary call in async
 * generators, linked abort controllers and a `DOMException` per finished call; see
 * bench/RESULTS.md for the figures (a quarter to a third of the client CPU per call of Connect's
 * transport, and within 1.1-1.5x of a bare node:http2 client doing the same decode and mapping).
 */
export function createHttp2GrpcTransport(options: Http2GrpcTransportOptions): AbortableTransport {
  const { baseUrl, sessionManager, interceptors = [], readMaxBytes = DEFAULT_READ_MAX_BYTES, lazyRequests = interceptors.length === 0 } = options;
  const base = baseUrl.replace(/\/+$/, "");
  const pathPrefix = new URL(base).pathname.replace(/\/+$/, "");
  let streaming: Transport | undefined;
  // The calls in flight, for abortAll.
  const calls = new LinkedList<CallSignal>();

  const routes = new WeakMap<DescMethodUnary, Route>();
  const route = (method: DescMethodUnary): Route => {
    let r = routes.get(method);
    if (r === undefined) {
      r = { path: `${pathPrefix}/${method.parent.typeName}/${method.name}`, url: `${base}/${method.parent.typeName}/${method.name}` };
      routes.set(method, r);
    }
    return r;
  };

  return {
    abortAll(reason) {
      for (const call of calls.snapshot()) call.abort(reason);
    },

    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeaderInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      // No deadline for undefined, 0 or less, and NaN (which would stall the shared deadline queue).
      const deadline = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : undefined;
      const call = new CallSignal(signal, deadline);
      calls.add(call);
      // One promise per call: it settles with the exchange (through the interceptors), or with
      // the call's abort - the deadline or the caller's signal - whichever comes first, so an
      // interceptor (a token provider) that never settles still ends then. Everything after
      // the timer started is inside the try, so the timer and the caller's listener are
      // released whatever throws (a header, an interceptor's factory).
      return new Promise<UnaryResponse<I, O>>((resolve, reject) => {
        const fail = (err: unknown): void => {
          call.done();
          calls.remove(call);
          reject(call.aborted() ?? ConnectError.from(err));
        };
        if (!call.onAbort(fail)) return;
        try {
          const { path, url } = route(method);
          const request = new LazyUnaryRequest<I, O>(method, url, call, header, deadline, input, contextValues);
          if (!lazyRequests) request.materialize();
          let next = (r: UnaryRequest<I, O>): Promise<UnaryResponse<I, O>> => exchange(sessionManager, path, r, request, call, readMaxBytes);
          for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i](next as never) as unknown as typeof next;
          next(request).then((res) => {
            call.done();
            calls.remove(call);
            resolve(res);
          }, fail);
        } catch (err) {
          fail(err);
        }
      });
    },

    stream(method, signal, timeoutMs, header, input, contextValues) {
      streaming ??= createGrpcTransport({ baseUrl, sessionManager, interceptors });
      return streaming.stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}

/** Where a method's requests go. */
interface Route {
  path: string;
  url: string;
}

/** The deadlines of every call of every transport in this process, behind one timer. */
const deadlines = new DeadlineQueue();

/** The error of a call whose deadline passed, wherever that is noticed. */
export function deadlineExceeded(): ConnectError {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}

/**
 * The abort state of one call: aborted by the caller's signal (`CANCELED`) or the deadline
 * (`DEADLINE_EXCEEDED`). Finishing the call clears the timer and the listener and does not abort,
 * so a successful call creates no abort reason at all. The `AbortSignal` interceptors see is
 * made only when one reads it; the transport itself is told through callbacks.
 */
class CallSignal implements Linked<CallSignal>, DeadlineEntry {
  /** When the deadline passes (epoch ms); Infinity without one. */
  readonly deadlineAt: number;
  prev: CallSignal | undefined;
  next: CallSignal | undefined;
  listed = false;
  earlier: DeadlineEntry | undefined;
  later: DeadlineEntry | undefined;
  queued = false;
  private controller: AbortController | undefined;
  private reason: ConnectError | undefined;
  private readonly onCallerAbort: (() => void) | undefined;
  /** Told once when the call is aborted: the call's promise, and each exchange in progress. */
  private listeners: ((reason: ConnectError) => void)[] = [];

  constructor(
    private readonly caller: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    if (caller !== undefined) {
      this.onCallerAbort = () => this.abort(ConnectError.from(caller.reason, Code.Canceled));
      if (caller.aborted) this.onCallerAbort();
      else caller.addEventListener("abort", this.onCallerAbort);
    }
    this.deadlineAt = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    if (timeoutMs !== undefined && this.reason === undefined) deadlines.add(this);
  }

  /** The deadline passed. */
  expire(): void {
    this.abort(deadlineExceeded());
  }

  /** The request's `AbortSignal`, made on first read. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /**
   * Calls `listener` with the reason when the call is aborted, unless it already was: then it
   * calls it at once and returns false.
   */
  onAbort(listener: (reason: ConnectError) => void): boolean {
    if (this.reason !== undefined) {
      listener(this.reason);
      return false;
    }
    this.listeners.push(listener);
    return true;
  }

  /** Forgets `listener` (its exchange ended). */
  offAbort(listener: (reason: ConnectError) => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** The ConnectError the call was aborted with, if it was. */
  aborted(): ConnectError | undefined {
    return this.reason;
  }

  done(): void {
    deadlines.remove(this);
    this.listeners = [];
    if (this.onCallerAbort !== undefined) this.caller?.removeEventListener("abort", this.onCallerAbort);
  }

  /** Aborts the call with `reason`, unless it already ended or was aborted. */
  abort(reason: ConnectError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(reason);
  }
}

/**
 * The `UnaryRequest` interceptors see. Its `signal`, `header` and `contextValues` are made when
 * someone reads them: a call that no interceptor inspects creates no `Headers`, no
 * `AbortSignal` and no context values. (They are getters on the prototype, which an
 * interceptor's copy `{ ...req }` would not carry: unless the transport was told its
 * interceptors do not copy, `materialize()` makes them own properties first.)
 */
class LazyUnaryRequest<I extends DescMessage, O extends DescMessage> implements UnaryRequest<I, O> {
  readonly stream = false as const;
  readonly requestMethod = "POST";
  readonly service: UnaryRequest<I, O>["service"];
  readonly message: MessageShape<I>;
  private headerCache: Headers | undefined;

  constructor(
    readonly method: DescMethodUnary<I, O>,
    readonly url: string,
    private readonly call: CallSignal,
    /** The caller's headers, as given. */
    private readonly headerInit: HeaderInit | undefined,
    private readonly timeoutMs: number | undefined,
    input: MessageInitShape<I>,
    private contextCache: ContextValues | undefined,
  ) {
    this.service = method.parent;
    this.message = isMessage(input, method.input) ? input : create(method.input, input);
  }

  get signal(): AbortSignal {
    return this.call.signal;
  }

  get header(): Headers {
    return (this.headerCache ??= requestHeader(this.headerInit, this.timeoutMs));
  }

  get contextValues(): ContextValues {
    return (this.contextCache ??= createContextValues());
  }

  /** Whether `materialize()` ran: the interceptors may copy, so the response is made plain too. */
  materialized = false;

  /**
   * Makes `signal`, `header` and `contextValues` own properties now, enumerable and writable as
   * in the object literal Connect's transports build, for interceptors that copy or assign them.
   */
  materialize(): void {
    ownFields(this, { signal: this.signal, header: this.header, contextValues: this.contextValues });
    this.materialized = true;
  }

  /**
   * The headers for node:http2, without `grpc-timeout` (set per attempt): straight from
   * constants when nobody made the `Headers` and the caller gave none.
   */
  nodeHeaders(): http2.OutgoingHttpHeaders {
    return this.headerCache === undefined && this.headerInit === undefined ? { ...BASE_HEADERS } : toNodeHeaders(this.header);
  }
}

/** What every request carries when nobody set headers: what {@link requestHeader} sets. */
const BASE_HEADERS: Readonly<http2.OutgoingHttpHeaders> = {
  "content-type": "application/grpc+proto",
  te: "trailers",
  "user-agent": USER_AGENT,
  "grpc-accept-encoding": "gzip",
};

function toNodeHeaders(header: Headers): http2.OutgoingHttpHeaders {
  const nodeHeaders: http2.OutgoingHttpHeaders = {};
  header.forEach((value, key) => {
    nodeHeaders[key] = value;
  });
  return nodeHeaders;
}

function requestHeader(init: HeaderInit | undefined, timeoutMs: number | undefined): Headers {
  const header = new Headers(init);
  header.set("content-type", "application/grpc+proto");
  header.set("te", "trailers");
  if (!header.has("user-agent")) header.set("user-agent", USER_AGENT);
  header.set("grpc-accept-encoding", "gzip");
  if (timeoutMs !== undefined) header.set("grpc-timeout", encodeTimeout(timeoutMs));
  return header;
}

const TIMEOUT_UNITS: [suffix: string, ms: number][] = [
  ["m", 1],
  ["S", 1_000],
  ["M", 60_000],
  ["H", 3_600_000],
];

/**
 * A `grpc-timeout` value: at most 8 digits (the gRPC spec's limit; grpc-go answers HTTP 400 to
 * more), in the finest unit that fits, rounded up so the server never sees less time than is left.
 */
export function encodeTimeout(ms: number): string {
  for (const [suffix, unit] of TIMEOUT_UNITS) {
    const value = Math.max(1, Math.ceil(ms / unit));
    if (value <= 99_999_999) return `${value}${suffix}`;
  }
  return "99999999H";
}

/**
 * One gRPC unary exchange on an HTTP/2 stream, re-sent on a new stream when the server never
 * processed it (at most {@link MAX_TRANSPARENT_RETRIES} times, within the deadline). Each stream
 * carries the time left before `deadlineAt` as its `grpc-timeout`.
 */
function exchange<I extends DescMessage, O extends DescMessage>(
  sessionManager: GrpcSessionManager,
  path: string,
  req: UnaryRequest<I, O>,
  original: LazyUnaryRequest<I, O>,
  call: CallSignal,
  readMaxBytes: number,
): Promise<UnaryResponse<I, O>> {
  const deadlineAt = call.deadlineAt === Infinity ? undefined : call.deadlineAt;
  // The transport's own request hears of aborts from its call directly. A request an
  // interceptor replaced or copied brings its own signal and headers (a copy has them because
  // the original was materialized whenever interceptors may copy).
  const own = req === original;
  const signal = own ? undefined : req.signal;
  const aborted = own ? call.aborted() : signal!.aborted ? ConnectError.from(signal!.reason, Code.Canceled) : undefined;
  if (aborted !== undefined) return Promise.reject(aborted);
  const body = envelope(toBinary(req.method.input, req.message));
  const nodeHeaders = own ? original.nodeHeaders() : toNodeHeaders(req.header);
  return new Promise<UnaryResponse<I, O>>((resolve, reject) => {
    let stream: http2.ClientHttp2Stream | undefined;
    let settled = false;
    let responded = false;
    let transparentRetries = 0;
    const settle = (err: ConnectError | undefined, res?: UnaryResponse<I, O>): void => {
      if (settled) return;
      settled = true;
      if (own) call.offAbort(onCallAbort);
      else signal!.removeEventListener("abort", onAbort);
      if (err === undefined) resolve(res!);
      else {
        if (stream !== undefined && !stream.closed) stream.close(err.code === Code.Canceled || err.code === Code.DeadlineExceeded ? http2.constants.NGHTTP2_CANCEL : http2.constants.NGHTTP2_INTERNAL_ERROR);
        // Nothing at all came back before the deadline: the connection may be dead in a way
        // Node.js does not report (a protocol error it answered with GOAWAY, a silent peer).
        if (err.code === Code.DeadlineExceeded && stream !== undefined && !responded) sessionManager.suspect?.(stream);
        reject(err);
      }
    };
    const onCallAbort = (reason: ConnectError): void => settle(reason);
    const onAbort = (): void => settle(ConnectError.from(signal!.reason, Code.Canceled));
    if (own) call.onAbort(onCallAbort);
    else signal!.addEventListener("abort", onAbort);

    const attempt = (): void => {
      if (deadlineAt !== undefined) {
        const left = deadlineAt - performance.now();
        if (left <= 0) {
          settle(deadlineExceeded());
          return;
        }
        nodeHeaders["grpc-timeout"] = encodeTimeout(left);
      }
      // On a ready connection the stream opens now; otherwise once one is ready.
      let now: http2.ClientHttp2Stream | undefined;
      try {
        now = sessionManager.requestNow?.("POST", path, nodeHeaders);
      } catch (e) {
        settle(fromNodeError(e));
        return;
      }
      if (now !== undefined) onStream(now);
      else sessionManager.request("POST", path, nodeHeaders, {}).then(onStream, (e: unknown) => settle(fromNodeError(e)));
    };

    const onStream = (s: http2.ClientHttp2Stream): void => {
        stream = s;
        if (settled) {
          s.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        let headers: http2.IncomingHttpHeaders | undefined;
        let trailers: http2.IncomingHttpHeaders | undefined;
        const chunks: Buffer[] = [];
        let received = 0;
        let announced: number | undefined;
        let failure: unknown;
        s.on("response", (h) => {
          headers = h;
          responded = true;
          sessionManager.notifyResponseByteRead(s);
        });
        s.on("trailers", (t: http2.IncomingHttpHeaders) => {
          trailers = t;
        });
        s.on("data", (chunk: Buffer) => {
          received += chunk.length;
          chunks.push(chunk);
          // The message's announced length, as soon as its 5-byte prefix is in, and then what
          // actually arrives: neither may pass the limit.
          if (announced === undefined && received >= 5 && isGrpcAnswer(headers)) announced = (chunks.length === 1 ? chunk : Buffer.concat(chunks, received)).readUInt32BE(1);
          if (received > readMaxBytes + 5 || (announced !== undefined && announced > readMaxBytes)) {
            settle(new ConnectError(`the response is larger than the client's limit of ${readMaxBytes} bytes (option maxResponseBytes)`, Code.ResourceExhausted));
          }
        });
        s.on("error", (e) => {
          failure ??= e;
        });
        s.on("end", () => {
          if (headers === undefined) return; // no response: the "close" handler reports why
          try {
            const res = parseResponse(req, headers, trailers, chunks, received, readMaxBytes);
            settle(undefined, original.materialized ? res.materialize() : res);
          } catch (e) {
            settle(ConnectError.from(e));
          }
        });
        s.on("close", () => {
          if (settled) return;
          if (headers === undefined && transparentRetries < MAX_TRANSPARENT_RETRIES && sessionManager.unprocessed?.(s) === true) {
            transparentRetries++;
            attempt();
            return;
          }
          // A stream cut once the deadline has passed failed because of it (grpc-go resets streams
          // at the deadline it was sent, sometimes before this client's own timer fires).
          const late = deadlineAt !== undefined && performance.now() >= deadlineAt;
          settle(late ? deadlineExceeded() : streamFailure(s.rstCode, failure, headers !== undefined));
        });
        s.end(body);
    };
    attempt();
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
      throw new ConnectError(`the decompressed response is larger than the client's limit of ${readMaxBytes} bytes (option maxResponseBytes)`, Code.ResourceExhausted);
    }
    throw new ConnectError(`decompress gzip: ${messageOf(e)}`, Code.Internal);
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
  nodeTrailers: http2.IncomingHttpHeaders | undefined,
  chunks: Buffer[],
  received: number,
  readMaxBytes: number,
): LazyUnaryResponse<I, O> {
  if (nodeTrailers === undefined || !isPlainSuccess(nodeHeaders, nodeTrailers)) {
    // Anything but a plain OK goes through Connect's own checks: HTTP status, content type,
    // trailers-only errors, grpc-status-details-bin with its error details.
    checkStatus(nodeHeaders, nodeTrailers, chunks, received);
  }
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  if (bytes.length === 0) {
    throw new ConnectError("protocol error: missing output message for unary method", nodeTrailers?.["grpc-status"] !== undefined ? Code.Unimplemented : Code.Unknown);
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
    throw new ConnectError(`parse binary: ${messageOf(e)}`, Code.Internal);
  }
  return new LazyUnaryResponse(req, message, nodeHeaders, nodeTrailers ?? {});
}

/**
 * Throws the call's error unless its status is OK: a non-gRPC answer (an HTTP error from a proxy
 * or a server that refused the request) with the start of its body, a gRPC error status, or
 * `UNAVAILABLE` when the stream ended before any status arrived.
 */
function checkStatus(nodeHeaders: http2.IncomingHttpHeaders, nodeTrailers: http2.IncomingHttpHeaders | undefined, chunks: Buffer[], received: number): void {
  const header = toHeaders(nodeHeaders);
  let headerError: ConnectError | undefined;
  try {
    ({ headerError } = validateResponse(Number(nodeHeaders[":status"] ?? 0), header));
  } catch (e) {
    throw withBodyText(ConnectError.from(e), chunks, received);
  }
  if (headerError !== undefined) throw headerError;
  if (nodeTrailers === undefined) {
    if (header.has("grpc-status")) return; // trailers-only OK
    // The peer cut the stream (a reset, a lost connection, a proxy) after the headers and before
    // the status: the call may or may not have run. Every scheduler call is safe to repeat.
    throw new ConnectError("the stream ended before the server sent the call's status (trailers): connection or stream cut mid-response", Code.Unavailable);
  }
  validateTrailer(toHeaders(nodeTrailers), header);
}

/** How much of a non-gRPC answer's body an error message shows. */
const BODY_TEXT_CHARS = 200;

/** `err` with the start of the response body (as text, control characters removed) appended. */
function withBodyText(err: ConnectError, chunks: Buffer[], received: number): ConnectError {
  if (received === 0) return err;
  const bytes = Buffer.concat(chunks, received).subarray(0, BODY_TEXT_CHARS * 4);
  const text = bytes.toString("utf8").replace(/[\u0000-\u001f\u007f\ufffd]+/g, " ").trim();
  if (text === "") return err;
  const shown = text.length > BODY_TEXT_CHARS ? `${text.slice(0, BODY_TEXT_CHARS)}...` : text;
  const withText = new ConnectError(`${err.rawMessage}: ${shown}`, err.code, err.metadata);
  withText.cause = err;
  return withText;
}

/** HTTP 200 with a gRPC content type: the body is gRPC messages (else it is an error page). */
function isGrpcAnswer(nodeHeaders: http2.IncomingHttpHeaders | undefined): boolean {
  const contentType = nodeHeaders?.["content-type"];
  return Number(nodeHeaders?.[":status"]) === 200 && typeof contentType === "string" && contentType.startsWith("application/grpc");
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

  /** Makes `header` and `trailer` own properties, so an interceptor's copy `{ ...res }` has them. */
  materialize(): this {
    ownFields(this, { header: this.header, trailer: this.trailer });
    return this;
  }
}

/** Turns getters of `target` into own enumerable, writable data properties with these values. */
function ownFields(target: object, values: Record<string, unknown>): void {
  const descriptors: PropertyDescriptorMap = {};
  for (const [key, value] of Object.entries(values)) descriptors[key] = { value, enumerable: true, writable: true, configurable: true };
  Object.defineProperties(target, descriptors);
}

function toHeaders(nodeHeaders: http2.IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const key of Object.keys(nodeHeaders)) {
    if (key.startsWith(":")) continue;
    const value = nodeHeaders[key];
    if (Array.isArray(value)) for (const v of value) header.append(key, v);
    else if (value !== undefined) header.set(key, key === "grpc-message" ? percentDecodable(value) : value);
  }
  return header;
}

/**
 * A `grpc-message` that Connect's parser can decode: the gRPC spec says a message with invalid
 * percent-encoding is passed through as it is, so such a value is re-encoded whole and decodes
 * back to the raw text, keeping the call's status code.
 */
function percentDecodable(message: string): string {
  try {
    decodeURIComponent(message);
    return message;
  } catch {
    return encodeURIComponent(message);
  }
}

// gRPC's mapping of HTTP/2 RST_STREAM codes with a meaning of their own (doc/PROTOCOL-HTTP2.md,
// "Errors"). Any other reset, and a CANCEL the client did not send (Node.js reports a lost
// connection as one), is UNAVAILABLE: the stream was cut, the call may be repeated.
const RST_CODES = new Map<number, Code>([
  [http2.constants.NGHTTP2_REFUSED_STREAM, Code.Unavailable],
  [http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, Code.ResourceExhausted],
  [http2.constants.NGHTTP2_INADEQUATE_SECURITY, Code.PermissionDenied],
  [http2.constants.NGHTTP2_HTTP_1_1_REQUIRED, Code.PermissionDenied],
]);

/** Why a stream closed without a complete response. */
function streamFailure(rstCode: number | undefined, cause: unknown, afterHeaders: boolean): ConnectError {
  // The connection went away under the stream (a GOAWAY with an error code, a reset socket):
  // UNAVAILABLE, whatever code the session passed on to its streams.
  const fromCause = cause === undefined ? undefined : fromNodeError(cause);
  if (fromCause?.code === Code.Unavailable) return fromCause;
  if (rstCode !== undefined && rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
    const when = afterHeaders ? "after the response headers, before the status" : "before a response";
    const err = new ConnectError(`http/2 stream closed with error code ${rstCode} ${when}`, RST_CODES.get(rstCode) ?? Code.Unavailable);
    if (cause !== undefined) err.cause = cause;
    return err;
  }
  return fromCause ?? new ConnectError("http/2 stream closed without a response", Code.Unavailable);
}
