import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { withDeadlineGuard } from "./deadline-guard.js";
import { Http2ConnectionManager } from "./http2-connection-manager.js";
import { type AbortableTransport, createHttp2GrpcTransport } from "./http2-grpc-transport.js";
import { requestHeadersInterceptor } from "./request-headers-interceptor.js";
import { retryInterceptor } from "./retry-interceptor.js";
import { SchedulerError } from "../errors/scheduler-error.js";
import { checkCallOptions } from "../internal/call-options.js";
import { type Linked, LinkedList } from "../internal/linked-list.js";
import { rejected } from "../internal/rejected.js";
import { collectPages, type PageResult, paginate } from "../internal/paginate.js";
import { toSchedulerError } from "../mapping/error-mapping.js";
import { createSchedulerRpc, type RpcOptions, type SchedulerRpc } from "../mapping/scheduler-rpc.js";
import type { SchedulerClient } from "../scheduler-client.js";
import type { CallOptions, ListOptions } from "../types/call-options.js";
import type { JobExecution } from "../types/execution.js";
import type { Job, JobFilter, JobRequest } from "../types/job.js";
import type { JsonPayload } from "../types/json.js";
import type { EnsureJobResult, JobChanges } from "../types/job-changes.js";
import { toSpecChanges } from "../validation/change-rules.js";
import { resolveFireCount, resolvePageSize, toEnsureSpec, toJobSpec, validateFilter, validateJobId } from "../validation/request-rules.js";
import {
  type GrpcSchedulerClientOptions,
  type ResolvedGrpcSchedulerClientOptions,
  resolveGrpcClientOptions,
} from "./grpc-client-options.js";
import { normalizeServerUrl } from "./server-url.js";

/**
 * A {@link SchedulerClient} for a scheduler server, over gRPC on HTTP/2. Requests are validated
 * before any network I/O; every failure is a `SchedulerError`; no call outlives its deadline; no
 * connection failure can surface as an unhandled error in the host process. Call
 * {@link GrpcSchedulerClient.close} when done so the HTTP/2 connection is released.
 *
 * @example
 * ```ts
 * const client = new GrpcSchedulerClient("http://scheduler-server:8080");
 * const job = await client.createJob({ name: "daily-report", schedule: { type: "cron", expression: "0 2 * * *" }, payload: {} });
 * await client.close();
 * ```
 */
export class GrpcSchedulerClient implements SchedulerClient {
  private readonly options: ResolvedGrpcSchedulerClientOptions;
  private readonly connections: Http2ConnectionManager;
  private readonly transport: AbortableTransport;
  private readonly rpc: SchedulerRpc;
  /**
   * Calls in flight: what close() waits for. A linked list, not a Set of the calls' promises: a
   * Set keeps deleted entries reachable until it next rehashes, and a settled call's promise
   * holds its result (a whole page of jobs), which then outlived the call (measured: twice the
   * old-generation promotion per listJobs call, bench/RESULTS.md).
   */
  private readonly inFlight = new LinkedList<InFlight>();
  private closing: Promise<void> | undefined;

  /**
   * @param serverUrl `http://host:port`, `https://host:port`, or a bare `host:port` (plaintext).
   * @throws `INVALID_ARGUMENT` for a malformed URL or option.
   */
  constructor(serverUrl: string, options?: GrpcSchedulerClientOptions) {
    const baseUrl = normalizeServerUrl(serverUrl);
    this.options = resolveGrpcClientOptions(options);
    const { tls, keepalive, retry, token, headers, connectTimeoutMs, maxResponseBytes } = this.options;
    if (tls !== undefined && !baseUrl.startsWith("https:")) {
      throw new SchedulerError("options.tls needs an https:// server URL", "INVALID_ARGUMENT", { field: "options.tls" });
    }
    this.connections = new Http2ConnectionManager(baseUrl, { ...keepalive, connectTimeoutMs, tls });
    const interceptors: Interceptor[] = [
      // Outermost: each retry runs the inner interceptors again (a fresh token, a span per attempt).
      ...(retry === undefined ? [] : [retryInterceptor(retry)]),
      // Only when there is something to add: every interceptor is a layer on every call.
      ...(Object.keys(headers).length === 0 && token === undefined ? [] : [requestHeadersInterceptor(headers, token)]),
      ...this.options.interceptors,
    ];
    // The client's own interceptors never copy a request; the caller's may.
    const lazyRequests = this.options.interceptors.length === 0;
    const transportOptions = { baseUrl, sessionManager: this.connections, interceptors, readMaxBytes: maxResponseBytes, lazyRequests };
    this.transport = this.options.transport === "connect" ? withDeadlineGuard(createGrpcTransport(transportOptions)) : createHttp2GrpcTransport(transportOptions);
    this.rpc = createSchedulerRpc(this.transport);
  }

  // The single calls are not async functions: each returns the promise of its one call (no
  // async wrapper per call), and a validation error becomes a rejection all the same.

  createJob<P = unknown>(req: JobRequest<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<Job<P>> {
    try {
      // One key per logical create, reused by every retry of this call.
      const keyed = typeof req === "object" && req !== null ? { ...req, idempotencyKey: req.idempotencyKey ?? randomUUID() } : req;
      const spec = toJobSpec(keyed, this.options.clock.now());
      return this.call(options, (o) => this.rpc.createJob(spec, o)) as Promise<Job<P>>;
    } catch (err) {
      return rejected(err);
    }
  }

  cancelJob(jobId: string, options?: CallOptions): Promise<void> {
    return this.byId(jobId, options, (id, o) => this.rpc.cancelJob(id, o)).then(nothing);
  }

  pauseJob(jobId: string, options?: CallOptions): Promise<void> {
    return this.byId(jobId, options, (id, o) => this.rpc.pauseJob(id, o)).then(nothing);
  }

  resumeJob(jobId: string, options?: CallOptions): Promise<void> {
    return this.byId(jobId, options, (id, o) => this.rpc.resumeJob(id, o)).then(nothing);
  }

  getJob<P = unknown>(jobId: string, options?: CallOptions): Promise<Job<P>> {
    return this.byId(jobId, options, (id, o) => this.rpc.getJob(id, o)) as Promise<Job<P>>;
  }

  async ensureJob<P = unknown>(req: JobRequest<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<EnsureJobResult<P>> {
    const spec = toEnsureSpec(req, this.options.clock.now());
    return this.call(options, (o) => this.rpc.ensureJob(spec, o)) as Promise<EnsureJobResult<P>>;
  }

  async updateJob<P = unknown>(jobId: string, changes: JobChanges<P> & { payload?: JsonPayload<P> | undefined }, options?: CallOptions): Promise<Job<P>> {
    const id = validateJobId(jobId);
    const checked = toSpecChanges(changes, this.options.clock.now());
    return this.call(options, (o) => this.rpc.updateJob(id, checked, o)) as Promise<Job<P>>;
  }

  triggerJob(jobId: string, options?: CallOptions): Promise<JobExecution> {
    // One request id per call, reused by its retries: a retry never starts a second execution.
    const requestId = randomUUID();
    return this.byId(jobId, options, (id, o) => this.rpc.triggerJob(id, requestId, o));
  }

  deleteJob(jobId: string, options?: CallOptions): Promise<void> {
    return this.byId(jobId, options, (id, o) => this.rpc.deleteJob(id, o));
  }

  async getUpcomingFires(jobId: string, count?: number, options?: CallOptions): Promise<Date[]> {
    const id = validateJobId(jobId);
    const size = resolveFireCount(count);
    return this.call(options, (o) => this.rpc.getUpcomingFires(id, size, o));
  }

  async listJobs<P = unknown>(filter?: JobFilter, options?: ListOptions): Promise<Job<P>[]> {
    return (await collectPages(this.jobPages(filter, withDeadline(options, this.options.timeoutMs)))) as Job<P>[];
  }

  async getExecutions(jobId: string, options?: ListOptions): Promise<JobExecution[]> {
    return collectPages(this.executionPages(jobId, withDeadline(options, this.options.timeoutMs)));
  }

  async *iterateJobs<P = unknown>(filter?: JobFilter, options?: ListOptions): AsyncGenerator<Job<P>, void> {
    yield* paginate(this.jobPages(filter, options)) as AsyncGenerator<Job<P>, void>;
  }

  async *iterateExecutions(jobId: string, options?: ListOptions): AsyncGenerator<JobExecution, void> {
    yield* paginate(this.executionPages(jobId, options));
  }

  private jobPages(filter: JobFilter | undefined, options: ListOptions | undefined): (token: string) => Promise<PageResult<Job>> {
    const valid = validateFilter(filter);
    const pageSize = resolvePageSize(options?.pageSize ?? this.options.pageSize);
    return (token) => this.call(options, (o) => this.rpc.listJobs(valid, pageSize, token, o));
  }

  private executionPages(jobId: string, options: ListOptions | undefined): (token: string) => Promise<PageResult<JobExecution>> {
    const id = validateJobId(jobId);
    const pageSize = resolvePageSize(options?.pageSize ?? this.options.pageSize);
    return (token) => this.call(options, (o) => this.rpc.listExecutions(id, pageSize, token, o));
  }

  /** This machine's clock (the client cannot read the server's; a test server has `now()`). */
  now(): Date {
    return new Date();
  }

  /**
   * Lets calls in flight finish for up to `closeGraceMs` (5 s by default), rejects those still
   * open with `INVALID_STATE`, then closes the HTTP/2 connections. It always resolves, within
   * about `closeGraceMs`, whatever the server or a token provider does. Later calls reject with
   * `INVALID_STATE`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.pendingCalls().length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.closeGraceMs)));
      // Registered after the callers' own handlers, so those have run when close() resolves.
      await Promise.race([Promise.allSettled(this.pendingCalls()), grace]);
      clearTimeout(timer);
      if (this.pendingCalls().length > 0) {
        const reason = new SchedulerError(`the client was closed before the call finished (closeGraceMs ${this.options.closeGraceMs} ms)`, "INVALID_STATE");
        this.transport.abortAll(new ConnectError(reason.message, Code.Canceled, undefined, undefined, reason));
        await Promise.allSettled(this.pendingCalls());
      }
    }
    await this.connections.close();
  }

  private pendingCalls(): Promise<unknown>[] {
    // An entry is in the set exactly while its call runs, and has its promise then.
    return this.inFlight.snapshot().map((entry) => entry.pending as Promise<unknown>);
  }

  /** A call on one job: its id validated first; every error a rejection. */
  private byId<T>(jobId: string, options: CallOptions | undefined, send: (id: string, o: RpcOptions) => Promise<T>): Promise<T> {
    try {
      const id = validateJobId(jobId);
      return this.call(options, (o) => send(id, o));
    } catch (err) {
      return rejected(err);
    }
  }

  private call<T>(options: CallOptions | undefined, send: (o: RpcOptions) => Promise<T>): Promise<T> {
    const checked = checkCallOptions(options);
    if (this.closing !== undefined) throw new SchedulerError("the client is closed", "INVALID_STATE");
    const { signal } = checked;
    const timeoutMs = remainingMs(checked) ?? this.options.timeoutMs;
    let sent: Promise<T>;
    try {
      sent = send(signal === undefined ? { timeoutMs } : { timeoutMs, signal });
    } catch (err) {
      sent = rejected(err);
    }
    const entry: InFlight = { pending: undefined, prev: undefined, next: undefined, listed: false };
    const end = (): void => {
      this.inFlight.remove(entry);
      entry.pending = undefined;
    };
    const pending = sent.then(
      (result) => {
        end();
        return result;
      },
      (err: unknown) => {
        end();
        if (signal?.aborted) throw signal.reason;
        const error = toSchedulerError(err);
        this.options.logger.debug("scheduler call failed", { code: error.code, message: error.message });
        throw error;
      },
    );
    entry.pending = pending;
    this.inFlight.add(entry);
    return pending;
  }
}

const nothing = (): void => undefined;

/** A call in flight: its promise while it runs. */
interface InFlight extends Linked<InFlight> {
  pending: Promise<unknown> | undefined;
}

interface DeadlineOptions extends ListOptions {
  deadlineMs?: number;
}

/** For the array listings: one deadline for all their pages. */
function withDeadline(options: ListOptions | undefined, defaultTimeoutMs: number): DeadlineOptions {
  const checked = checkCallOptions(options);
  return { ...checked, deadlineMs: performance.now() + (checked.timeoutMs ?? defaultTimeoutMs) };
}

/** The time left before a listing's deadline, or the call's own timeout. */
function remainingMs(options: DeadlineOptions): number | undefined {
  if (options.deadlineMs === undefined) return options.timeoutMs;
  const left = options.deadlineMs - performance.now();
  if (left <= 0) throw new SchedulerError("the listing's deadline passed between pages", "TIMEOUT");
  // Whole milliseconds: the monotonic clock has fractions, and Connect's transport sends the
  // timeout as given (a grpc-timeout of "9999.98m" is a protocol error).
  return Math.ceil(left);
}
