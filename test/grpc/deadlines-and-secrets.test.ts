/**
 * The client's promises about time and secrets, over real HTTP/2 to the real test server: the
 * deadline covers the whole call (token provider included), an abort wins at any point, close()
 * is bounded, deadlines are valid gRPC timeouts, and no token value reaches a message, a cause
 * or a log.
 */
import { GrpcSchedulerClient, type Logger, MAX_TIMEOUT_MS, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { silentServer } from "../support/silent-server.js";

const caught = (p: Promise<unknown>): Promise<unknown> => p.then(() => new Error("expected a failure"), (e: unknown) => e);
function thrownBy(make: () => unknown): SchedulerError {
  try {
    make();
  } catch (e) {
    return e as SchedulerError;
  }
  throw new Error("expected an error");
}
const never = (): Promise<string> => new Promise<string>(() => undefined);

describe.each(["node-http2", "connect"] as const)("%s transport: deadlines, aborts and close()", (transport) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
  });
  afterAll(() => server.close());

  it("counts a stalled token provider against the deadline: TIMEOUT, not a hang", async () => {
    const client = new GrpcSchedulerClient(server.url, { transport, token: never, timeoutMs: 300 });
    const err = (await caught(client.listJobs())) as SchedulerError;
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err.code).toBe("TIMEOUT");
    await client.close();
  });

  it("lets an abort win while the token provider runs", async () => {
    const client = new GrpcSchedulerClient(server.url, { transport, token: never, timeoutMs: 60_000 });
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 50);
    expect(await caught(client.getJob("job-1", { signal: controller.signal }))).toBe(reason);
    await client.close();
  });

  it("bounds close(): calls still open after closeGraceMs are rejected with INVALID_STATE", async () => {
    const client = new GrpcSchedulerClient(server.url, { transport, token: never, timeoutMs: 60_000, closeGraceMs: 100 });
    const pending = caught(client.listJobs());
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.close(); // resolves: it does not wait for the 60 s deadline
    const err = (await pending) as SchedulerError;
    expect(err.code).toBe("INVALID_STATE");
    expect(err.message).toMatch(/closed before the call finished \(closeGraceMs 100 ms\)/);
    expect(await caught(client.listJobs())).toMatchObject({ code: "INVALID_STATE" });
  });

  it("sends each retry the time left as grpc-timeout, in at most 8 digits", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url, { transport, timeoutMs: 1_500.5, retry: { maxAttempts: 1 } });
    await caught(client.getJob("job-1"));
    // Whole milliseconds (1,500.5 rounds up), minus what passed before the stream was opened.
    expect(silent.headers.map((h) => String(h["grpc-timeout"]))).toHaveLength(1);
    const sent = Number(/^(\d+)m$/.exec(silent.headers.map((h) => String(h["grpc-timeout"]))[0])?.[1]);
    expect(sent).toBeGreaterThan(1_000);
    expect(sent).toBeLessThanOrEqual(1_501);
    await client.close();
    const max = new GrpcSchedulerClient(silent.url, { transport, timeoutMs: MAX_TIMEOUT_MS });
    const controller = new AbortController();
    const call = caught(max.getJob("job-1", { signal: controller.signal }));
    while (silent.headers.map((h) => String(h["grpc-timeout"])).length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("done"));
    await call;
    expect(silent.headers.map((h) => String(h["grpc-timeout"]))[1]).toMatch(/^\d{1,8}m$/);
    await max.close();
    await silent.close();
  });
});

describe("deadline values", () => {
  it("rejects deadlines gRPC cannot carry (or Node timers cannot run), naming the field", () => {
    for (const timeoutMs of [0, -1, NaN, Infinity, MAX_TIMEOUT_MS + 1, 2 ** 31, 1e8]) {
      expect(() => new GrpcSchedulerClient("http://127.0.0.1:1", { timeoutMs })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", field: "options.timeoutMs" }),
      );
    }
    for (const [field, options] of [
      ["options.keepalive.pingIntervalMs", { keepalive: { pingIntervalMs: 2 ** 31 } }],
      ["options.connectTimeoutMs", { connectTimeoutMs: 0 }],
      ["options.closeGraceMs", { closeGraceMs: -5 }],
      ["options.maxResponseBytes", { maxResponseBytes: 10 }],
    ] as const) {
      expect(() => new GrpcSchedulerClient("http://127.0.0.1:1", options)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field }));
    }
  });

  it("rejects a per-call timeoutMs above the limit before any I/O", async () => {
    const client = new GrpcSchedulerClient("http://127.0.0.1:1");
    expect(await caught(client.getJob("job-1", { timeoutMs: 1e8 }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "timeoutMs" });
    await client.close();
  });
});

describe("secrets", () => {
  let server: TestServer;
  const lines: string[] = [];
  const logger: Logger = { debug: (m, f) => void lines.push(m + JSON.stringify(f)), info: () => undefined, warn: () => undefined, error: () => undefined };
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual", auth: { token: "s3cr3t-TOKEN" } });
  });
  afterAll(() => server.close());

  /** Every string reachable from an error: message, stack, cause chain (as text and as JSON). */
  function everything(err: unknown): string {
    const out: string[] = [];
    for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
      out.push(e instanceof Error ? `${e.name}: ${e.message}` : JSON.stringify(e), (e as Error).stack ?? "", JSON.stringify(e) ?? "");
    }
    return out.join("\n");
  }

  it.each([
    ["CR LF", "Bearer-s3cr3t-TOKEN\r\nsecond-line"],
    ["LF", "s3cr3t-TOKEN\nx"],
    ["NUL", "s3cr3t-TOKEN\u0000"],
    ["non-ASCII", "s3cr3t-TOKEN-é"],
    ["space", "s3cr3t TOKEN"],
    ["more than 8192 characters", `s3cr3t${"T".repeat(9_000)}`],
  ])("a token provider returning a value with %s: INVALID_ARGUMENT naming options.token, the value nowhere", async (_what, bad) => {
    for (const transport of ["node-http2", "connect"] as const) {
      const client = new GrpcSchedulerClient(server.url, { transport, token: () => bad, logger });
      const err = (await caught(client.listJobs())) as SchedulerError;
      expect(err).toBeInstanceOf(SchedulerError);
      expect({ code: err.code, field: err.field }).toEqual({ code: "INVALID_ARGUMENT", field: "options.token" });
      expect(everything(err)).not.toContain("s3cr3t");
      await client.close();
    }
    expect(lines.join("\n")).not.toContain("s3cr3t");
  });

  it("checks a static token when the client is constructed, without showing it", () => {
    const err = thrownBy(() => new GrpcSchedulerClient(server.url, { token: "s3cr3t\nTOKEN" }));
    expect({ code: err.code, field: err.field }).toEqual({ code: "INVALID_ARGUMENT", field: "options.token" });
    expect(everything(err)).not.toContain("s3cr3t");
  });

  it("reports a failing token provider as UNAUTHENTICATED with its error as cause", async () => {
    const failure = new Error("vault unreachable");
    const client = new GrpcSchedulerClient(server.url, { token: () => Promise.reject(failure), retry: false });
    const err = (await caught(client.listJobs())) as SchedulerError;
    expect({ code: err.code, field: err.field, cause: err.cause }).toEqual({ code: "UNAUTHENTICATED", field: "options.token", cause: failure });
    await client.close();
  });

  it("rejects header names and values that are not HTTP-safe ASCII when the client is constructed", () => {
    for (const headers of [{ "x-tenant": "T-é" }, { "x-tenant": "a\r\nb" }, { "x-tenant": " padded" }, { "bad name": "v" }, { authorization: "Bearer x" }, { "grpc-timeout": "1S" }]) {
      expect(() => new GrpcSchedulerClient(server.url, { headers })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    const err = thrownBy(() => new GrpcSchedulerClient(server.url, { headers: { "x-api-key": "k3y-é" } }));
    expect(err.field).toBe('options.headers["x-api-key"]');
    expect(err.message).not.toContain("k3y");
  });
});
