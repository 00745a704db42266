import { timingSafeEqual } from "node:crypto";
import * as http2 from "node:http2";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type Clock, ManualClock, resolveClock } from "../engine/clock.js";
import { type JobCompletedListener, SchedulerEngine } from "../engine/scheduler-engine.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import type { InMemorySchedulerClientOptions } from "../in-memory/in-memory-scheduler-client.js";
import { logFailures, translateErrors } from "../mapping/error-mapping.js";
import { type Logger, silentLogger } from "../logging/logger.js";
import { schedulerRoutes } from "../mapping/scheduler-routes.js";
import { KafkaEventPublisher, type KafkaPublisherOptions } from "../kafka/kafka-event-publisher.js";

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
  const clock: Clock = resolveClock(scheduling.clock, scheduling.startTime);
  const { kafka, logger = silentLogger, tls, auth, ...engineOptions } = scheduling;
  const engine = new SchedulerEngine({ ...engineOptions, clock });
  const publisher = kafka === undefined ? undefined : new KafkaEventPublisher({ logger, ...kafka });
  await publisher?.start();
  if (publisher !== undefined) engine.onJobCompleted((event) => publisher.publish(event));
  const handler = connectNodeAdapter({
    routes: schedulerRoutes(engine),
    interceptors: [logFailures(logger), translateErrors, ...(auth === undefined ? [] : [requireToken(auth.token)])],
  });
  const server: http2.Http2Server | http2.Http2SecureServer =
    tls === undefined
      ? http2.createServer(handler)
      : http2.createSecureServer({ cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) }, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    const onStartError = (err: Error): void => {
      void publisher?.close();
      reject(err);
    };
    server.once("error", onStartError);
    server.listen(port, host, () => {
      server.off("error", onStartError);
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
        for (const session of sessions) session.close();
        const force = setTimeout(() => {
          for (const session of sessions) session.destroy();
        }, closeGraceMs);
        force.unref();
      });
      return closing;
    },
  };
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
