import { timingSafeEqual } from "node:crypto";
import * as http2 from "node:http2";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type Clock, MAX_TIMER_MS, ManualClock, resolveClock } from "../engine/clock.js";
import { type JobCompletedListener, SchedulerEngine } from "../engine/scheduler-engine.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import type { InMemorySchedulerClientOptions } from "../in-memory/in-memory-scheduler-client.js";
import { logFailures, translateErrors } from "../mapping/error-mapping.js";
import { type Logger, silentLogger } from "../logging/logger.js";
import { schedulerRoutes } from "../mapping/scheduler-routes.js";
import { KafkaEventPublisher, type KafkaPublisherOptions } from "../kafka/kafka-event-publisher.js";
import { invalid } from "../validation/invalid.js";
import { LIMITS } from "../validation/limits.js";

/** Options of {@link createTestServer}: the in-memory client's scheduling options, plus where to listen. */
export interface TestServerOptions extends InMemorySchedulerClientOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Address to listen on. @default "127.0.0.1" */
  host?: string;
  /** How long `close()` waits for open calls before it resets connections. @default 5000 */
  closeGraceMs?: number;
  /**
   * Publish a `JobCompletedEvent` to Kafka for every finished execution (topic default
   * `k1s0.system.scheduler.job_completed.v1`, canonical protobuf JSON, keyed by job id).
   * @default no Kafka
   */
  kafka?: KafkaPublisherOptions;
  /** Where the server reports start, close and failed requests. @default silent */
  logger?: Logger;
  /**
   * Serve TLS (HTTP/2 over TLS, `https://` URL) with this PEM certificate and key; with `ca`,
   * client certificates signed by it are required (mutual TLS).
   * @default cleartext HTTP/2
   */
  tls?: {
    /** Server certificate (PEM). */
    cert: string | Buffer;
    /** Its private key (PEM). */
    key: string | Buffer;
    /** CA that client certificates must be signed by; setting it requires them (mutual TLS). */
    ca?: string | Buffer;
  };
  /** Require `authorization: Bearer <token>` on every call; others get `UNAUTHENTICATED`. @default no auth */
  auth?: {
    /** The bearer token every call must carry. */
    token: string;
  };
  /**
   * Most jobs the server holds at once (`deleteJob` makes room); CreateJob (and an EnsureJob
   * that creates) beyond it fails with `RESOURCE_EXHAUSTED` naming the limit. A positive whole
   * number or `Infinity`. See "Test server limits" in the README for the memory this bounds.
   * @default 20000
   */
  maxJobs?: number;
  /**
   * Most bytes of job payloads (UTF-8 JSON text, summed over every job held); a CreateJob whose
   * payload would pass it fails with `RESOURCE_EXHAUSTED` naming the limit. A positive whole
   * number or `Infinity`.
   * @default 536870912 (512 MiB: 512 payloads of the largest size, 1 MiB)
   */
  maxStoredBytes?: number;
  /**
   * HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`: calls open at once on one connection. A client
   * that opens more has them refused (`REFUSED_STREAM`, which gRPC clients retry); well-behaved
   * clients queue them. A whole number from 1 to 4294967295.
   * @default 100
   */
  maxConcurrentStreams?: number;
  /**
   * Most connections open at once. A connection beyond it closes the one that has been idle (no
   * open call) the longest, or, when every connection has a call open, is itself closed at once.
   * A positive whole number or `Infinity`.
   * @default 100
   */
  maxConnections?: number;
  /**
   * A connection with no open call for this long is closed (HTTP/2 GOAWAY; clients reconnect on
   * their next call). Also ends sockets that never speak HTTP/2. Milliseconds, from 1 to
   * 2147483647, or `Infinity` for never.
   * @default 60000
   */
  idleConnectionTimeoutMs?: number;
  /**
   * A call on which nothing has been received or sent for this long is reset (RST_STREAM
   * `CANCEL`): a request whose body never arrives does not hold the server's memory forever.
   * Milliseconds, from 1 to 2147483647, or `Infinity` for never.
   * @default 60000
   */
  streamIdleTimeoutMs?: number;
}

/**
 * The defaults of the test server's limits ({@link TestServerOptions}), chosen to keep a server
 * with default options far from running out of memory on a default Node.js heap (about 4 GB on
 * a 64-bit machine with 16 GiB or more; a quarter of the memory on smaller ones), and never to
 * bite ordinary tests or the benchmarks (which hold at most 10,000 small jobs on a test server):
 *
 * - `maxStoredBytes` 512 MiB: payload text takes at most one heap byte per UTF-8 byte (V8
 *   stores Latin-1 text one byte per character and other text two bytes per UTF-16 unit,
 *   never more than its UTF-8 size), so payloads hold at most 512 MiB.
 * - `maxJobs` 20,000: a job with small fields takes about 0.8 KB; the largest apart from its
 *   payload (longest name, cron expression, time zone and idempotency key, and a full default
 *   history of 100 executions) about 18.5 KB (test/testing/memory-limits.test.ts measures it),
 *   so jobs and their histories hold at most about 370 MB.
 * - The idempotency store keeps a 44-byte digest per key, not a copy of the request.
 *
 * Together: under 1 GiB of stored state, a quarter of a 4 GB heap. Calls in flight come on top:
 * at most `maxConnections` 100 x `maxConcurrentStreams` 100 at once, about 45 KB of heap each
 * plus the request bytes their clients actually sent (at most {@link MAX_REQUEST_BYTES}), each
 * reset after `streamIdleTimeoutMs` (60 s) without traffic. `maxConnections` is also far below
 * the usual limit of 1,024 open files, so idle sockets cannot starve real clients of them.
 */
export const TEST_SERVER_LIMIT_DEFAULTS = {
  maxJobs: 20_000,
  maxStoredBytes: 512 * 1024 * 1024,
  maxConcurrentStreams: 100,
  maxConnections: 100,
  idleConnectionTimeoutMs: 60_000,
  streamIdleTimeoutMs: 60_000,
} as const;

/** The limits of one test server, every default resolved. */
export type TestServerLimits = { -readonly [K in keyof typeof TEST_SERVER_LIMIT_DEFAULTS]: number };

/**
 * The largest request the server reads; a bigger one is refused with `RESOURCE_EXHAUSTED` as
 * soon as its size is known (a gRPC message header announces it), never buffered. It is the
 * largest valid request, a CreateJobRequest with a 1 MiB payload:
 *
 * - in protobuf (gRPC): payload 1,048,576 + 4 bytes of framing, name 200 characters (at most
 *   800 UTF-8 bytes) + 3, cron expression 256 UTF-16 units (at most 768 bytes) + 3, time zone
 *   (the longest IANA name has 32 characters) + 2, schedule framing 6, max_retries 2,
 *   timeout_secs 4, idempotency key 128 + 3 = 1,050,201 bytes at most (a valid cron expression
 *   is ASCII, so in practice 1,049,817);
 * - in JSON (Connect and gRPC-Web JSON codecs), where escaping can double the payload (`"`, `\`,
 *   and whitespace become two characters) and a control character in the name or expression
 *   takes six (`\u0001`): at most 2,097,152 + 1,200 + 1,536 + 256 + 32 + about 130 bytes of keys
 *   and punctuation = 2,100,306 bytes (2,099,031 for the largest test/testing builds).
 *
 * The fields of 0.2.0 add at most about 170 bytes in protobuf (job key 128 + 3, overlap 2,
 * start_at and end_at 14 each, EnsureJobRequest's wrapping 4) and about 420 in JSON (a key of
 * 128 characters escaped to 256, two timestamps, their names), well inside the margin.
 *
 * So 2 MiB + 8 KiB = 2,105,344 bytes (Connect's own default is 4 GiB).
 */
export const MAX_REQUEST_BYTES = 2 * LIMITS.payloadMaxBytes + 8 * 1024;

const MAX_HTTP2_SETTING = 2 ** 32 - 1;

/**
 * Resolves and checks the limit options of {@link createTestServer}, every default in one place.
 * @throws `INVALID_ARGUMENT` naming the option and the value.
 */
export function resolveTestServerLimits(options: Partial<Record<keyof TestServerLimits, unknown>>): TestServerLimits {
  const d = TEST_SERVER_LIMIT_DEFAULTS;
  return {
    maxJobs: limitOption("maxJobs", options.maxJobs, d.maxJobs, Number.MAX_SAFE_INTEGER, true),
    maxStoredBytes: limitOption("maxStoredBytes", options.maxStoredBytes, d.maxStoredBytes, Number.MAX_SAFE_INTEGER, true),
    maxConcurrentStreams: limitOption("maxConcurrentStreams", options.maxConcurrentStreams, d.maxConcurrentStreams, MAX_HTTP2_SETTING, false),
    maxConnections: limitOption("maxConnections", options.maxConnections, d.maxConnections, Number.MAX_SAFE_INTEGER, true),
    idleConnectionTimeoutMs: limitOption("idleConnectionTimeoutMs", options.idleConnectionTimeoutMs, d.idleConnectionTimeoutMs, MAX_TIMER_MS, true),
    streamIdleTimeoutMs: limitOption("streamIdleTimeoutMs", options.streamIdleTimeoutMs, d.streamIdleTimeoutMs, MAX_TIMER_MS, true),
  };
}

function limitOption(name: string, value: unknown, fallback: number, max: number, infinityAllowed: boolean): number {
  if (value === undefined) return fallback;
  if (infinityAllowed && value === Infinity) return Infinity;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid("INVALID_ARGUMENT", name, value, `must be a whole number from 1 to ${max}${infinityAllowed ? " or Infinity" : ""}`);
  }
  return value;
}

/** A running scheduler server. */
export interface TestServer {
  /** Base URL for `new GrpcSchedulerClient(url)`, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  /**
   * Moves a manual clock forward, running everything due.
   * @throws `INVALID_STATE` unless the server was created with `{ clock: "manual" }`.
   */
  advanceTime(ms: number): Promise<void>;
  /** The server's current time (simulated with a manual clock). */
  now(): Date;
  /**
   * The server's clock. Give it to `new GrpcSchedulerClient(url, { clock: server.clock })` so the
   * client's own checks use the server's (possibly simulated) time.
   */
  readonly clock: Clock;
  /** Calls `listener` for every finished execution. @returns a function that unsubscribes. */
  onJobCompleted(listener: JobCompletedListener): () => void;
  /**
   * Stops scheduling, stops accepting connections, lets open calls finish (then resets them),
   * publishes the completion events still queued for Kafka, and resolves when all is closed.
   */
  close(): Promise<void>;
}

/**
 * Starts a real scheduler server: Connect's gRPC (and Connect, gRPC-Web) protocol on
 * `node:http2` cleartext, backed by the same engine as `InMemorySchedulerClient`. Any
 * gRPC client can talk to it (the tests use `buf curl` too).
 *
 * @example
 * ```ts
 * const server = await createTestServer({ clock: "manual" });
 * const client = new GrpcSchedulerClient(server.url);
 * // ...
 * await client.close();
 * await server.close();
 * ```
 */
export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { port = 0, host = "127.0.0.1", closeGraceMs = 5_000, ...scheduling } = options;
  const {
    kafka,
    logger = silentLogger,
    tls,
    auth,
    maxJobs,
    maxStoredBytes,
    maxConcurrentStreams,
    maxConnections,
    idleConnectionTimeoutMs,
    streamIdleTimeoutMs,
    ...engineOptions
  } = scheduling;
  const limits = resolveTestServerLimits({ maxJobs, maxStoredBytes, maxConcurrentStreams, maxConnections, idleConnectionTimeoutMs, streamIdleTimeoutMs });
  const clock: Clock = resolveClock(scheduling.clock, scheduling.startTime);
  const engine = new SchedulerEngine({ ...engineOptions, clock, maxJobs: limits.maxJobs, maxStoredBytes: limits.maxStoredBytes });
  const publisher = kafka === undefined ? undefined : new KafkaEventPublisher({ logger, ...kafka });
  await publisher?.start();
  if (publisher !== undefined) engine.onJobCompleted((event) => publisher.publish(event));
  const handler = endUnreadRequests(
    connectNodeAdapter({
      routes: schedulerRoutes(engine),
      interceptors: [logFailures(logger), translateErrors, ...(auth === undefined ? [] : [requireToken(auth.token)])],
      readMaxBytes: MAX_REQUEST_BYTES,
    }),
  );
  const settings: http2.Settings = { maxConcurrentStreams: limits.maxConcurrentStreams };
  const server: http2.Http2Server | http2.Http2SecureServer =
    tls === undefined
      ? http2.createServer({ settings }, handler)
      : http2.createSecureServer(
          { settings, cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) },
          handler,
        );
  const connections = new Connections(limits, logger);
  server.on("session", (session: http2.ServerHttp2Session) => connections.add(session));
  server.on("stream", (stream: http2.ServerHttp2Stream) => connections.opened(stream));
  await new Promise<void>((resolve, reject) => {
    const onStartError = (err: Error): void => {
      void publisher?.close();
      reject(err);
    };
    server.once("error", onStartError);
    server.listen(port, host, () => {
      server.off("error", onStartError);
      // Once listening, a failed accept (EMFILE when file descriptors run out) is reported, not fatal.
      server.on("error", (err: Error) => logger.error("scheduler test server error", { error: err.message }));
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${tls === undefined ? "http" : "https"}://${urlHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  logger.info("scheduler test server listening", { url, tls: tls !== undefined, auth: auth !== undefined });

  return {
    url,
    port: address.port,
    advanceTime(ms) {
      if (!(clock instanceof ManualClock)) {
        return Promise.reject(new SchedulerError('advanceTime needs a server created with { clock: "manual" }', "INVALID_STATE"));
      }
      return clock.advanceTime(ms);
    },
    now: () => new Date(clock.now()),
    clock,
    onJobCompleted: (listener) => engine.onJobCompleted(listener),
    close() {
      closing ??= new Promise<void>((resolve) => {
        engine.close();
        server.close(() => resolve(publisher?.close()));
        // GOAWAY: clients finish their open streams and open no new ones here.
        connections.closeAll();
        const force = setTimeout(() => connections.destroyAll(), closeGraceMs);
        force.unref();
      });
      return closing;
    },
  };
}

/**
 * Once a response is complete, a request body still arriving is not wanted (a request refused
 * as too large, say): the stream is reset with `NO_ERROR` (RFC 9113, section 8.1) so the client
 * stops sending, instead of both sides waiting on flow control until the stream times out.
 * (Connect stops reading such a request, so the server never buffers more of it than the
 * HTTP/2 flow-control window, 64 KiB.)
 */
function endUnreadRequests(
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void {
  return (req, res) => {
    const { stream } = req;
    // The compatibility layer submits the trailers from its own "wantTrailers" listener; the reset
    // waits a turn of the event loop so that it goes out after them (a reset submitted at once
    // discards them). Node.js would keep a stream reset with NO_ERROR until its unread input is
    // consumed, which nobody will do: it is destroyed (the reset already submitted still goes out).
    stream.once("wantTrailers", () => {
      setImmediate(() => {
        if (stream.readableEnded || stream.closed) return;
        stream.close(http2.constants.NGHTTP2_NO_ERROR);
        stream.destroy();
      });
    });
    // A request Connect cannot even parse (an `:authority` such as "::1:1", which is what
    // Node.js clients send for an IPv6 URL without brackets) would throw inside Connect's
    // adapter, synchronously or in a promise nobody awaits: answer 400 before it gets there.
    const authority = req.headers[":authority"] ?? req.headers.host;
    if (typeof authority === "string" && !URL.canParse(`http://${authority}`)) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end(`bad request: :authority ${JSON.stringify(authority.slice(0, 100))} is not a host[:port]`);
      return;
    }
    handler(req, res);
  };
}

/** One HTTP/2 connection: its open calls and, while it has none, the timer that closes it. */
interface Connection {
  readonly session: http2.ServerHttp2Session;
  open: number;
  /** When its last call ended (or it connected). */
  idleSinceMs: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * The server's connections: caps their number, closes the idle ones, and resets calls on which
 * nothing happens. Its timers are real ones (socket timeouts, whatever the scheduling clock) and
 * never keep the process alive.
 */
class Connections {
  private readonly all = new Map<http2.ServerHttp2Session, Connection>();
  private closing = false;

  constructor(
    private readonly limits: TestServerLimits,
    private readonly logger: Logger,
  ) {}

  add(session: http2.ServerHttp2Session): void {
    if (this.closing || (this.all.size >= this.limits.maxConnections && !this.evictIdlest())) {
      this.logger.warn("scheduler test server refused a connection", { reason: this.closing ? "closing" : "maxConnections", maxConnections: this.limits.maxConnections });
      closeIdle(session);
      return;
    }
    const connection: Connection = { session, open: 0, idleSinceMs: Date.now(), idleTimer: undefined };
    this.all.set(session, connection);
    this.armIdleTimer(connection);
    session.once("close", () => {
      clearTimeout(connection.idleTimer);
      this.all.delete(session);
    });
  }

  opened(stream: http2.ServerHttp2Stream): void {
    const connection = this.all.get(stream.session as http2.ServerHttp2Session);
    if (connection !== undefined) {
      connection.open++;
      clearTimeout(connection.idleTimer);
      connection.idleTimer = undefined;
      stream.once("close", () => {
        connection.open--;
        if (connection.open === 0) {
          connection.idleSinceMs = Date.now();
          this.armIdleTimer(connection);
        }
      });
    }
    if (this.limits.streamIdleTimeoutMs !== Infinity) {
      // Node.js counts frames received and written on the stream as activity.
      stream.setTimeout(this.limits.streamIdleTimeoutMs, () => {
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      });
    }
  }

  /** Sends GOAWAY on every connection: open calls finish, no new ones start. */
  closeAll(): void {
    this.closing = true;
    for (const { session, idleTimer } of this.all.values()) {
      clearTimeout(idleTimer);
      session.close();
    }
  }

  /** Resets every connection still open. */
  destroyAll(): void {
    for (const session of this.all.keys()) session.destroy();
  }

  private armIdleTimer(connection: Connection): void {
    if (this.limits.idleConnectionTimeoutMs === Infinity || this.closing) return;
    connection.idleTimer = setTimeout(() => {
      connection.idleTimer = undefined;
      if (connection.open === 0) closeIdle(connection.session);
    }, this.limits.idleConnectionTimeoutMs);
    connection.idleTimer.unref();
  }

  /** Closes the connection idle the longest, to make room. @returns whether there was one. */
  private evictIdlest(): boolean {
    let idlest: Connection | undefined;
    for (const c of this.all.values()) {
      if (c.open === 0 && (idlest === undefined || c.idleSinceMs < idlest.idleSinceMs)) idlest = c;
    }
    if (idlest === undefined) return false;
    clearTimeout(idlest.idleTimer);
    this.all.delete(idlest.session);
    closeIdle(idlest.session);
    return true;
  }
}

/**
 * Closes a connection without open calls: GOAWAY (NO_ERROR, so clients reconnect for their next
 * call), then the socket. Not `close()`, which would wait for the peer to close its side and so
 * keep the socket (a file descriptor) of a peer that never reads.
 */
function closeIdle(session: http2.ServerHttp2Session): void {
  session.destroy();
}

/** Rejects calls without `authorization: Bearer <token>`; compares in constant time, never echoes it. */
function requireToken(token: string): Interceptor {
  const expected = Buffer.from(`Bearer ${token}`);
  return (next) => async (req) => {
    const given = Buffer.from(req.header.get("authorization") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ConnectError("missing or invalid bearer token", Code.Unauthenticated);
    }
    return next(req);
  };
}
