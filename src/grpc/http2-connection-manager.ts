import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import type { GrpcSessionManager } from "./http2-grpc-transport.js";
import { MAX_TIMER_MS } from "../engine/clock.js";
import { fromNodeError } from "./node-errors.js";

/** Options of {@link Http2ConnectionManager}; every field is resolved by the client's options. */
export interface Http2ConnectionOptions {
  /** A PING after this long without a frame from the server while calls are open (gRPC keepalive). */
  pingIntervalMs: number;
  /** How long a PING may go unanswered before the connection is dropped. */
  pingTimeoutMs: number;
  /** Idle time (no open streams) after which the connection is closed. */
  idleConnectionTimeoutMs: number;
  /** How long opening a connection (TCP, TLS, the server's HTTP/2 SETTINGS) may take. */
  connectTimeoutMs: number;
  /** TLS options for `https://` URLs. */
  tls?: http2.SecureClientSessionOptions | undefined;
}

/** Requests on a connection that closes under them are re-issued on a new one at most this often. */
const MAX_REQUEST_ATTEMPTS = 3;

/**
 * The HTTP/2 connections of one client: it opens them, keeps them alive with PING frames (gRPC
 * "basic keepalive", gRFC A8), replaces them after a GOAWAY or a failure, and closes them.
 *
 * Why the project owns this instead of using connect-node's `Http2SessionManager`: that manager
 * removes a session's only `'error'` listener when its state changes (a new request after a
 * failure), and Node.js emits a destroyed session's error when its socket closes - later - so
 * a PING timeout, or a peer that answers HTTP/1.1, crashed the host process with an unhandled
 * `'error'` event (issue #10). Here every session has an `'error'` listener from creation to its
 * last event, and every stream one from the moment it exists, so no HTTP/2 error can ever be
 * unhandled; errors reach callers as rejected promises and failed streams instead.
 *
 * Also: a connection is used only after the server's first SETTINGS frame arrived, so no stream
 * is opened above the server's `MAX_CONCURRENT_STREAMS` (nghttp2 queues streams above it), and
 * the manager tells the transport which streams the server never processed (refused, or above a
 * GOAWAY's last stream id) so they can be retried transparently (gRFC A6).
 *
 * It implements connect-node's `NodeHttp2ClientSessionManager` interface, so both of the client's
 * transports (`"node-http2"` and Connect's `createGrpcTransport`) run on it.
 */
export class Http2ConnectionManager implements GrpcSessionManager {
  readonly authority: string;
  /** The connection new streams go to; others in `connections` are draining. */
  private current: Connection | undefined;
  private readonly connections = new Set<Connection>();
  private closed = false;

  /** A copy: the PING interval grows when a server says the client pings too often. */
  private readonly options: Http2ConnectionOptions;

  /** `host:port` as the `:authority` of every request (an IPv6 address in brackets: Node.js would drop them). */
  private readonly host: string;

  constructor(baseUrl: string, options: Http2ConnectionOptions) {
    const url = new URL(baseUrl);
    this.authority = url.origin;
    this.host = url.host;
    this.options = { ...options };
  }

  /** Connections open now (draining ones included); for tests and diagnostics. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** The PING interval in force (it doubles after a server's "too_many_pings"). */
  get pingIntervalMs(): number {
    return this.options.pingIntervalMs;
  }

  /**
   * Opens a stream on a ready connection, opening or verifying one first when needed.
   * @throws a `ConnectError` (`UNAVAILABLE` for connection failures) when no connection can be had.
   */
  async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.readyConnection();
      try {
        return connection.open({ ...headers, ":method": method, ":path": path, ":authority": this.host }, options);
      } catch (err) {
        // The session closed between "ready" and the request (a GOAWAY, a reset): nothing was
        // sent, so another connection may take it.
        if (attempt >= MAX_REQUEST_ATTEMPTS || !connection.unusable) throw fromNodeError(err);
      }
    }
  }

  /**
   * Opens a stream at once when the current connection is ready for it (its SETTINGS arrived,
   * it takes new streams, it needs no PING check), else returns undefined and the caller awaits
   * {@link Http2ConnectionManager.request}, which opens, checks or replaces connections. Adds
   * the pseudo-headers to `headers`.
   */
  requestNow(method: string, path: string, headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream | undefined {
    const connection = this.current;
    if (this.closed || connection === undefined || !connection.isReady || connection.unusable || connection.needsVerify()) return undefined;
    headers[":method"] = method;
    headers[":path"] = path;
    headers[":authority"] = this.host;
    try {
      // The caller attaches its listeners before this tick ends: no 'error' can come first.
      return connection.open(headers, {}, false);
    } catch {
      return undefined; // request() knows what to do about a session that refuses
    }
  }

  /** A response arrived on `stream`: its connection is alive, no PING is needed. */
  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void {
    ownerOf(stream)?.connection.alive();
  }

  /**
   * Whether `stream` failed before the server processed it: refused (`REFUSED_STREAM`), above
   * the last stream id of a GOAWAY, or never sent. Such a call can be re-sent without risk, and
   * without counting as a retry attempt (gRFC A6 "transparent retry").
   */
  unprocessed(stream: http2.ClientHttp2Stream): boolean {
    if (stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) return true;
    if (stream.id === undefined) return true;
    const last = ownerOf(stream)?.connection.goawayLastStreamId;
    return last !== undefined && stream.id > last;
  }

  /**
   * `stream` got no response at all before its deadline. If its connection has not shown a sign
   * of life since the stream was opened either, new calls go to a new connection and this one
   * closes when its last stream ends: Node.js does not report every dead connection (after a
   * protocol error it answers with GOAWAY, the session looks open and stays silent).
   */
  suspect(stream: http2.ClientHttp2Stream): void {
    const owner = ownerOf(stream);
    owner?.connection.suspect(owner.openedAt);
  }

  /**
   * Closes every connection now: open streams fail, sessions are destroyed, later requests are
   * refused. Idempotent. Resolves when every session has closed.
   */
  close(): Promise<void> {
    this.closed = true;
    this.current = undefined;
    const closing = [...this.connections].map((c) => c.destroy());
    return Promise.all(closing).then(() => undefined);
  }

  private async readyConnection(): Promise<Connection> {
    for (;;) {
      if (this.closed) throw new ConnectError("the client is closed", Code.Canceled);
      let connection = this.current;
      if (connection === undefined || connection.unusable) connection = this.open();
      await connection.ready;
      if (connection.unusable) continue;
      if (connection.needsVerify() && !(await connection.verify())) {
        void connection.destroy(new ConnectError("the connection did not answer a PING before reuse", Code.Unavailable));
        continue;
      }
      if (!connection.unusable) return connection;
    }
  }

  private open(): Connection {
    const connection = new Connection(this.authority, this.options, (c) => {
      this.connections.delete(c);
      if (this.current === c) this.current = undefined;
    });
    this.connections.add(connection);
    this.current = connection;
    // `ready` rejects when the connection fails; a caller awaiting it sees that, and nobody else
    // may: this keeps an unawaited rejection from ever being reported as unhandled.
    connection.ready.catch(() => undefined);
    return connection;
  }
}

/**
 * Which connection a stream belongs to (for keepalive notifications and GOAWAY bookkeeping) and
 * when it was opened (to tell whether the connection showed life since): kept on the stream
 * itself under a symbol. A WeakMap costs an ephemeron table entry per stream, which the
 * collector has to process on every collection until the stream dies (bench/RESULTS.md).
 */
const OWNER = Symbol("k1s0.streamOwner");

interface OwnedStream extends http2.ClientHttp2Stream {
  [OWNER]?: { connection: Connection; openedAt: number };
}

/** The 'close' listener of every stream: one function, no closure per stream. */
function onOwnedStreamClose(this: http2.ClientHttp2Stream): void {
  ownerOf(this)?.connection.streamClosed();
}

const ownerOf = (stream: http2.ClientHttp2Stream): { connection: Connection; openedAt: number } | undefined => (stream as OwnedStream)[OWNER];

const ignore = (): void => undefined;

/** One HTTP/2 session and its keepalive, idle and connect timers. */
class Connection {
  /** Resolves when the server's first SETTINGS frame arrived; rejects when the connection fails first. */
  readonly ready: Promise<void>;
  /** The last stream id of a GOAWAY from the server; streams above it were never processed. */
  goawayLastStreamId: number | undefined;
  /** Whether the server's first SETTINGS frame arrived (`ready` resolved). */
  isReady = false;
  private readonly session: http2.ClientHttp2Session;
  private readonly socket: net.Socket;
  private failure: unknown;
  private draining = false;
  private isClosed = false;
  private streams = 0;
  private lastAliveAt = performance.now();
  private pingTimer: NodeJS.Timeout | undefined;
  private pingTimeoutTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** When the last stream ended. */
  private idleSince = 0;
  private readonly closedPromise: Promise<void>;

  constructor(
    authority: string,
    private readonly options: Http2ConnectionOptions,
    onClose: (c: Connection) => void,
  ) {
    let resolveReady!: () => void;
    let rejectReady!: (err: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    let resolveClosed!: () => void;
    this.closedPromise = new Promise<void>((resolve) => (resolveClosed = resolve));
    let settingsArrived = false;

    // The socket is ours, not Node's: Node.js can destroy a session on a socket error (a TLS
    // alert such as "certificate required") without ever closing the socket, and then the
    // session never emits 'close'. Destroying the socket on its first error guarantees it.
    const socket = openSocket(authority, options.tls);
    this.socket = socket;
    socket.on("error", (err: unknown) => {
      this.failure ??= err;
      socket.destroy();
    });
    const session = http2.connect(authority, { settings: { enablePush: false }, createConnection: () => socket });
    this.session = session;
    // The listener that makes this class exist: attached before anything can fail, never removed.
    session.on("error", (err: unknown) => {
      this.failure ??= err;
    });
    const connectTimer = setTimeout(() => {
      void this.destroy(new ConnectError(`no HTTP/2 connection to ${authority} within ${options.connectTimeoutMs} ms`, Code.Unavailable));
    }, options.connectTimeoutMs);
    session.once("remoteSettings", () => {
      settingsArrived = true;
      this.isReady = true;
      clearTimeout(connectTimer);
      this.lastAliveAt = performance.now();
      this.becameIdle();
      resolveReady();
    });
    session.on("goaway", (errorCode: number, lastStreamID: number, opaqueData?: Buffer) => {
      this.draining = true;
      this.goawayLastStreamId = Math.min(this.goawayLastStreamId ?? lastStreamID, lastStreamID);
      // gRFC A8: a server that finds the PINGs too frequent says so; ping half as often from now on.
      if (errorCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM && opaqueData?.toString() === "too_many_pings") {
        options.pingIntervalMs = Math.min(options.pingIntervalMs * 2, MAX_TIMER_MS);
      }
    });
    session.once("close", () => {
      this.isClosed = true;
      clearTimeout(connectTimer);
      this.stopTimers();
      onClose(this);
      if (!settingsArrived) rejectReady(this.connectFailure(authority));
      resolveClosed();
    });
  }

  /** True once the connection takes no new streams: draining after a GOAWAY, closing or closed. */
  get unusable(): boolean {
    return this.isClosed || this.draining || this.session.closed || this.session.destroyed;
  }

  /**
   * Opens a stream; throws synchronously when the session refuses (closed, going away).
   * `guardErrors`: whether the stream needs a listener for 'error' until the caller attaches its
   * own (it gets the stream after a promise hop); false for a caller that attaches them at once.
   */
  open(headers: http2.OutgoingHttpHeaders, options: http2.ClientSessionRequestOptions, guardErrors = true): http2.ClientHttp2Stream {
    const stream = this.session.request(headers, options);
    // Errors are reported to the caller through the stream's "close" (its rstCode) and its own
    // listeners; this one only guarantees that a stream error is never an unhandled 'error' event,
    // even before the caller's listeners are attached.
    if (guardErrors) stream.on("error", ignore);
    (stream as OwnedStream)[OWNER] = { connection: this, openedAt: performance.now() };
    if (++this.streams === 1) this.becameBusy();
    stream.on("close", onOwnedStreamClose);
    return stream;
  }

  /** One of this connection's streams closed. */
  streamClosed(): void {
    if (--this.streams === 0 && !this.isClosed) this.becameIdle();
  }

  alive(): void {
    this.lastAliveAt = performance.now();
  }

  /** A stream opened at `openedAt` got no answer by its deadline: retire this connection unless it showed life since. */
  suspect(openedAt: number): void {
    if (this.lastAliveAt > openedAt) return;
    this.draining = true;
    if (this.streams === 0) this.session.close();
  }

  /** An idle connection unused for longer than the PING interval is checked before reuse. */
  needsVerify(): boolean {
    return this.streams === 0 && performance.now() - this.lastAliveAt > this.options.pingIntervalMs;
  }

  /** Sends a PING; resolves true when it is answered within the PING timeout. */
  verify(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.options.pingTimeoutMs);
      const sent = this.ping((ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
      if (!sent) {
        clearTimeout(timer);
        resolve(false);
      }
    });
  }

  /** Destroys the session (with `reason` as the error its streams see); resolves when it closed. */
  destroy(reason?: ConnectError): Promise<void> {
    if (!this.session.destroyed) {
      if (reason !== undefined) this.failure ??= reason;
      this.session.destroy(reason, reason === undefined ? http2.constants.NGHTTP2_NO_ERROR : http2.constants.NGHTTP2_CANCEL);
    }
    this.socket.destroy();
    return this.closedPromise;
  }

  private ping(callback: (ok: boolean) => void): boolean {
    if (this.session.destroyed || this.session.closed) return false;
    try {
      return this.session.ping((err) => {
        if (err === null) this.alive();
        callback(err === null);
      });
    } catch {
      return false;
    }
  }

  // The idle and PING timers are re-armed lazily: a connection going busy and idle with every
  // call (one call at a time) would otherwise clear and set two timers per call. Each timer
  // checks the state when it fires and moves on if it is not due yet.

  private becameBusy(): void {
    this.session.ref();
    // An armed idle timer finds the connection busy and stops; an armed PING timer carries on.
    if (this.pingTimer === undefined) this.schedulePing();
  }

  private becameIdle(): void {
    // A connection that takes no new streams is done once its last one ended.
    if (this.draining) {
      this.session.close();
      return;
    }
    // An idle connection must not keep the host process alive.
    this.session.unref();
    this.idleSince = performance.now();
    if (this.idleTimer === undefined) this.armIdleTimer(this.options.idleConnectionTimeoutMs);
  }

  /** Closes the connection once it has been idle for `idleConnectionTimeoutMs`. */
  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.streams > 0 || this.isClosed) return; // busy again: going idle re-arms it
      const left = this.idleSince + this.options.idleConnectionTimeoutMs - performance.now();
      if (left > 0) this.armIdleTimer(left);
      else this.session.close();
    }, ms);
    this.idleTimer.unref();
  }

  /** While streams are open: a PING when nothing arrived for `pingIntervalMs`. */
  private schedulePing(): void {
    clearTimeout(this.pingTimer);
    const due = Math.max(0, this.lastAliveAt + this.options.pingIntervalMs - performance.now());
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      if (this.streams === 0 || this.isClosed) return; // idle: going busy re-arms it
      if (performance.now() - this.lastAliveAt < this.options.pingIntervalMs) {
        this.schedulePing();
        return;
      }
      clearTimeout(this.pingTimeoutTimer);
      this.pingTimeoutTimer = setTimeout(() => {
        void this.destroy(new ConnectError(`PING timed out after ${this.options.pingTimeoutMs} ms: the connection is dead`, Code.Unavailable));
      }, this.options.pingTimeoutMs);
      this.pingTimeoutTimer.unref();
      const sent = this.ping((ok) => {
        clearTimeout(this.pingTimeoutTimer);
        if (ok && this.streams > 0) this.schedulePing();
      });
      if (!sent) clearTimeout(this.pingTimeoutTimer);
    }, due);
    this.pingTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pingTimeoutTimer);
    clearTimeout(this.idleTimer);
  }

  private connectFailure(authority: string): ConnectError {
    if (this.failure !== undefined) return fromNodeError(this.failure);
    return new ConnectError(`the connection to ${authority} closed before the HTTP/2 handshake finished (is it an HTTP/2 gRPC server, and does the URL's scheme match its TLS?)`, Code.Unavailable);
  }
}

/** A TCP (http:) or TLS (https:, ALPN "h2") socket to `authority`, as `http2.connect` would open it. */
function openSocket(authority: string, tlsOptions: http2.SecureClientSessionOptions | undefined): net.Socket {
  const url = new URL(authority);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (url.protocol === "http:") return net.connect({ host, port: Number(url.port || 80) });
  return tls.connect({
    ...tlsOptions,
    host,
    port: Number(url.port || 443),
    ALPNProtocols: ["h2"],
    // SNI takes a host name, never an IP address.
    ...(tlsOptions?.servername === undefined && net.isIP(host) === 0 ? { servername: host } : {}),
  });
}
