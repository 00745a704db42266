import type { Interceptor } from "@connectrpc/connect";
import { type Clock, MAX_TIMER_MS, SystemClock } from "../engine/clock.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import { type Logger, silentLogger } from "../logging/logger.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-interceptor.js";
import { checkTimeout } from "../internal/call-options.js";
import { invalid } from "../validation/invalid.js";
import { resolvePageSize } from "../validation/request-rules.js";

/** Options of {@link GrpcSchedulerClient}. */
export interface GrpcSchedulerClientOptions {
  /**
   * Deadline of each call that does not set its own `timeoutMs`, from 1 ms to 99,999,999 ms
   * (about 27.7 hours: the largest gRPC timeout in milliseconds); fractions are rounded up. It
   * covers the whole call - interceptors, the token provider, connecting, every retry - and a
   * call past it rejects with `TIMEOUT`.
   * @default 10000
   */
  timeoutMs?: number;
  /** Items per page for `listJobs`, `getExecutions` and the iterators, 1 to 1000. @default 100 */
  pageSize?: number;
  /**
   * The clock client-side checks read ("is this one-shot `runAt` in the past?"). Pass a test
   * server's `clock` when that server runs simulated time, so both sides agree on "now".
   * @default the system clock
   */
  clock?: Pick<Clock, "now">;
  /**
   * Connect interceptors, outermost first: add headers, tracing (see the README's
   * OpenTelemetry example), metrics.
   * @default none
   */
  interceptors?: Interceptor[];
  /** Where failed calls are reported (at `debug`; they are also thrown). @default silent */
  logger?: Logger;
  /**
   * Retries of transient failures (`UNAVAILABLE`, `RESOURCE_EXHAUSTED`, connection resets) for
   * every method - all are idempotent, creates through their idempotency key - with exponential
   * backoff and full jitter, inside the call's deadline; `false` turns retries off.
   * @default { maxAttempts: 4, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 2000 }
   */
  retry?: Partial<RetryPolicy> | false;
  /**
   * A bearer token sent as `authorization: Bearer <token>` on every call; a function is called
   * for every attempt (so it can refresh), and its time counts against the call's deadline. The
   * value must be visible ASCII without white space, at most 8,192 characters (checked when constructed, or when the
   * function returns it: `INVALID_ARGUMENT`, field `options.token`). Never logged, never part of
   * an error message or its cause.
   * @default none
   */
  token?: string | (() => string | Promise<string>);
  /**
   * Extra request headers on every call: names are HTTP tokens, values visible ASCII (spaces and
   * tabs inside); anything else is `INVALID_ARGUMENT` when the client is constructed.
   * @default none
   */
  headers?: Record<string, string>;
  /**
   * TLS for `https://` URLs: a CA to trust instead of the system store, and a client certificate
   * and key for mutual TLS (PEM; `cert` and `key` come together or not at all).
   * @default the system trust store, no client certificate
   */
  tls?: {
    /** CA certificate(s) to trust instead of the system store (PEM). */
    ca?: string | Buffer;
    /** Client certificate for mutual TLS (PEM). */
    cert?: string | Buffer;
    /** Private key of the client certificate (PEM). */
    key?: string | Buffer;
    /** Server name to verify, when it differs from the URL's host. */
    servername?: string;
  };
  /**
   * Which gRPC transport carries unary calls: `"node-http2"`, a lean transport written on
   * `node:http2` for this client (less than half the client CPU per call of Connect's generic one,
   * see bench/RESULTS.md), or `"connect"`, `createGrpcTransport` from `@connectrpc/connect-node`.
   * Both share the HTTP/2 connection handling, interceptors and error semantics.
   * @default "node-http2"
   */
  transport?: "node-http2" | "connect";
  /**
   * HTTP/2 keepalive: a PING every `pingIntervalMs` while calls are open (and before reusing a
   * connection idle that long), the connection dropped if unanswered within `pingTimeoutMs`, and
   * closed when idle for `idleConnectionTimeoutMs`. A dead connection is replaced on the next
   * call, so a restarted server is reached again without a new client.
   * @default { pingIntervalMs: 300000, pingTimeoutMs: 15000, idleConnectionTimeoutMs: 900000 }
   */
  keepalive?: {
    /** Interval of PING frames while calls are open. @default 300000 */
    pingIntervalMs?: number;
    /** How long a PING may go unanswered before the connection is dropped. @default 15000 */
    pingTimeoutMs?: number;
    /** Idle time after which the connection is closed. @default 900000 */
    idleConnectionTimeoutMs?: number;
  };
  /**
   * How long opening a connection may take (TCP, TLS and the server's first HTTP/2 SETTINGS);
   * then it is abandoned and the next call opens a new one. Each call's deadline still applies.
   * @default 20000
   */
  connectTimeoutMs?: number;
  /**
   * Largest response accepted, in bytes (after gzip): a bigger one fails with
   * `RESOURCE_EXHAUSTED` and is not retried. Scheduler servers keep a list page under 2 MiB
   * (the contract's page byte budget), so the default leaves wide room.
   * @default 16777216 (16 MiB)
   */
  maxResponseBytes?: number;
  /**
   * How long `close()` lets calls in flight finish; calls still open then are rejected with
   * `INVALID_STATE` and the connection is closed.
   * @default 5000
   */
  closeGraceMs?: number;
}

/** {@link GrpcSchedulerClientOptions} with every default applied. */
export interface ResolvedGrpcSchedulerClientOptions {
  timeoutMs: number;
  pageSize: number;
  clock: Pick<Clock, "now">;
  interceptors: Interceptor[];
  logger: Logger;
  retry: RetryPolicy | undefined;
  token: (() => string | Promise<string>) | undefined;
  headers: Record<string, string>;
  tls: GrpcSchedulerClientOptions["tls"];
  keepalive: { pingIntervalMs: number; pingTimeoutMs: number; idleConnectionTimeoutMs: number };
  transport: "node-http2" | "connect";
  connectTimeoutMs: number;
  maxResponseBytes: number;
  closeGraceMs: number;
}

/** The default per-call deadline. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Applies defaults and checks ranges in one place.
 * @throws `INVALID_ARGUMENT` naming the option.
 */
export function resolveGrpcClientOptions(options: GrpcSchedulerClientOptions = {}): ResolvedGrpcSchedulerClientOptions {
  const timeoutMs = checkTimeout("options.timeoutMs", options.timeoutMs) ?? DEFAULT_TIMEOUT_MS;
  const clock = options.clock ?? new SystemClock();
  if (typeof clock !== "object" || clock === null || typeof clock.now !== "function") {
    throw invalid("INVALID_ARGUMENT", "options.clock", clock, "must have a now() method");
  }
  const interceptors = options.interceptors ?? [];
  if (!Array.isArray(interceptors) || !interceptors.every((i) => typeof i === "function")) {
    throw invalid("INVALID_ARGUMENT", "options.interceptors", interceptors, "must be an array of Connect interceptors");
  }
  const { token } = options;
  if (token !== undefined && !(typeof token === "function" || (typeof token === "string" && token !== ""))) {
    // The value is a secret: name the field, never show it.
    throw new SchedulerError("options.token must be a non-empty string or a function returning one", "INVALID_ARGUMENT", { field: "options.token" });
  }
  const headers = checkHeaders(options.headers);
  const tls = checkTls(options.tls);
  const transport = options.transport ?? "node-http2";
  if (transport !== "node-http2" && transport !== "connect") {
    throw invalid("INVALID_ARGUMENT", "options.transport", transport, 'must be "node-http2" or "connect"');
  }
  return {
    timeoutMs,
    transport,
    pageSize: resolvePageSize(options.pageSize),
    clock,
    interceptors,
    logger: options.logger ?? silentLogger,
    retry: options.retry === false ? undefined : resolveRetry(options.retry ?? {}),
    token: token === undefined ? undefined : typeof token === "function" ? token : constant(checkToken(token)),
    headers,
    tls,
    keepalive: {
      pingIntervalMs: timer("options.keepalive.pingIntervalMs", options.keepalive?.pingIntervalMs, 300_000),
      pingTimeoutMs: timer("options.keepalive.pingTimeoutMs", options.keepalive?.pingTimeoutMs, 15_000),
      idleConnectionTimeoutMs: timer("options.keepalive.idleConnectionTimeoutMs", options.keepalive?.idleConnectionTimeoutMs, 900_000),
    },
    connectTimeoutMs: timer("options.connectTimeoutMs", options.connectTimeoutMs, 20_000),
    maxResponseBytes: bytes("options.maxResponseBytes", options.maxResponseBytes, 16 * 1024 * 1024),
    closeGraceMs: timer("options.closeGraceMs", options.closeGraceMs, 5_000),
  };
}

// Larger headers are refused by HTTP/2 peers (Node.js and grpc-go default to 16 KiB of headers in all).
const MAX_TOKEN_LENGTH = 8_192;
// Visible ASCII with no white space: what a bearer token (RFC 6750 b64token) and most API keys are.
const TOKEN_VALUE = /^[\x21-\x7e]+$/;
// RFC 9110 field names ("token") and values (visible ASCII, inner spaces and tabs).
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^(?:[\x21-\x7e](?:[\x20\x09\x21-\x7e]*[\x21-\x7e])?)?$/;
// Set by the transport; a user's header would be overwritten or break the protocol.
const RESERVED_HEADERS = new Set(["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "content-length", "connection", "host", "transfer-encoding", "upgrade"]);

/**
 * Checks a token value before it goes into a header. The value is a secret: the error names the
 * field and what is wrong, never the value, and has no cause that could carry it.
 * @throws `INVALID_ARGUMENT`, field `options.token`.
 */
export function checkToken(token: unknown): string {
  if (typeof token !== "string" || !TOKEN_VALUE.test(token) || token.length > MAX_TOKEN_LENGTH) {
    const what =
      typeof token !== "string"
        ? `a ${typeof token}`
        : token === ""
          ? "an empty string"
          : token.length > MAX_TOKEN_LENGTH
            ? `${token.length} characters, more than ${MAX_TOKEN_LENGTH}`
            : "a string with white space, control or non-ASCII characters";
    throw new SchedulerError(`options.token must be a non-empty string of at most 8192 visible ASCII characters, got ${what} (the value is not shown)`, "INVALID_ARGUMENT", { field: "options.token" });
  }
  return token;
}

function checkHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw invalid("INVALID_ARGUMENT", "options.headers", headers, "must be an object of header names to string values");
  }
  for (const [name, value] of Object.entries(headers)) {
    const field = `options.headers[${JSON.stringify(name)}]`;
    if (!HEADER_NAME.test(name)) throw invalid("INVALID_ARGUMENT", field, name, "must have a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~)");
    if (RESERVED_HEADERS.has(name.toLowerCase()) || name.toLowerCase() === "authorization") {
      throw invalid("INVALID_ARGUMENT", field, name, "is set by the client itself (use options.token for authorization)");
    }
    // A header value may be a credential too: say what is wrong, not what it is.
    if (typeof value !== "string" || !HEADER_VALUE.test(value)) {
      throw new SchedulerError(`${field} must be a string of visible ASCII characters (inner spaces and tabs allowed); the value is not shown`, "INVALID_ARGUMENT", { field });
    }
  }
  return { ...headers };
}

function checkTls(tls: GrpcSchedulerClientOptions["tls"]): GrpcSchedulerClientOptions["tls"] {
  if (tls === undefined) return undefined;
  if (typeof tls !== "object" || tls === null) throw invalid("INVALID_ARGUMENT", "options.tls", tls, "must be an object");
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const [given, missing] = tls.cert === undefined ? ["key", "cert"] : ["cert", "key"];
    throw new SchedulerError(`options.tls.${given} was given without options.tls.${missing}: mutual TLS needs both (the client would otherwise connect without a certificate)`, "INVALID_ARGUMENT", { field: `options.tls.${missing}` });
  }
  return tls;
}

function resolveRetry(retry: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...retry };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 100) {
    throw invalid("INVALID_ARGUMENT", "options.retry.maxAttempts", policy.maxAttempts, "must be a whole number from 1 to 100");
  }
  timer("options.retry.initialBackoffMs", policy.initialBackoffMs, 1);
  timer("options.retry.maxBackoffMs", policy.maxBackoffMs, 1);
  if (!(policy.multiplier >= 1 && Number.isFinite(policy.multiplier))) {
    throw invalid("INVALID_ARGUMENT", "options.retry.multiplier", policy.multiplier, "must be a finite number >= 1");
  }
  return policy;
}

const constant = (value: string) => (): string => value;

/** A duration that drives a timer: more than 0 and at most 2^31-1 ms (about 24.8 days). */
function timer(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && value > 0 && value <= MAX_TIMER_MS)) {
    throw invalid("INVALID_ARGUMENT", field, value, `must be a positive number of milliseconds, at most ${MAX_TIMER_MS} (about 24.8 days)`);
  }
  return value;
}

function bytes(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= 1024 && value <= 2 ** 31 - 1)) {
    throw invalid("INVALID_ARGUMENT", field, value, "must be a whole number of bytes from 1024 to 2147483647");
  }
  return value;
}
