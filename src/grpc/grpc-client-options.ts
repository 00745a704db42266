import type { Interceptor } from "@connectrpc/connect";
import { type Clock, SystemClock } from "../engine/clock.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import { type Logger, silentLogger } from "../logging/logger.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-interceptor.js";
import { invalid } from "../validation/invalid.js";
import { resolvePageSize } from "../validation/request-rules.js";

/** Options of {@link GrpcSchedulerClient}. */
export interface GrpcSchedulerClientOptions {
  /**
   * Deadline of each call that does not set its own `timeoutMs`. A call past its deadline
   * rejects with `TIMEOUT`.
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
   * for every attempt (so it can refresh). Never logged, never part of an error message.
   * @default none
   */
  token?: string | (() => string | Promise<string>);
  /** Extra request headers on every call. @default none */
  headers?: Record<string, string>;
  /**
   * TLS for `https://` URLs: a CA to trust instead of the system store, and a client certificate
   * and key for mutual TLS (PEM).
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
}

/** The default per-call deadline. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Applies defaults and checks ranges in one place.
 * @throws `INVALID_ARGUMENT` naming the option.
 */
export function resolveGrpcClientOptions(options: GrpcSchedulerClientOptions = {}): ResolvedGrpcSchedulerClientOptions {
  const timeoutMs = positive("options.timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS);
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
    token: token === undefined ? undefined : typeof token === "function" ? token : () => token,
    headers: options.headers ?? {},
    tls: options.tls,
    keepalive: {
      pingIntervalMs: positive("options.keepalive.pingIntervalMs", options.keepalive?.pingIntervalMs, 300_000),
      pingTimeoutMs: positive("options.keepalive.pingTimeoutMs", options.keepalive?.pingTimeoutMs, 15_000),
      idleConnectionTimeoutMs: positive("options.keepalive.idleConnectionTimeoutMs", options.keepalive?.idleConnectionTimeoutMs, 900_000),
    },
  };
}

function resolveRetry(retry: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...retry };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 100) {
    throw invalid("INVALID_ARGUMENT", "options.retry.maxAttempts", policy.maxAttempts, "must be a whole number from 1 to 100");
  }
  positive("options.retry.initialBackoffMs", policy.initialBackoffMs, 1);
  positive("options.retry.maxBackoffMs", policy.maxBackoffMs, 1);
  if (!(policy.multiplier >= 1 && Number.isFinite(policy.multiplier))) {
    throw invalid("INVALID_ARGUMENT", "options.retry.multiplier", policy.multiplier, "must be a finite number >= 1");
  }
  return policy;
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw invalid("INVALID_ARGUMENT", field, value, "must be a positive, finite number of milliseconds");
  }
  return value;
}
