import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { DEFAULT_TIMEOUT_MS, GrpcSchedulerClient, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";
import { normalizeServerUrl } from "../../src/grpc/server-url.js";
import { silentServer } from "../support/silent-server.js";

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = http2.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("server URLs", () => {
  it("accepts http://, https:// and the bare host:port of the Go and Dart clients", () => {
    expect(normalizeServerUrl("http://scheduler-server:8080")).toBe("http://scheduler-server:8080");
    expect(normalizeServerUrl("https://scheduler.example.com")).toBe("https://scheduler.example.com");
    expect(normalizeServerUrl("scheduler-server:8080")).toBe("http://scheduler-server:8080");
    expect(normalizeServerUrl("localhost:8093")).toBe("http://localhost:8093");
    expect(normalizeServerUrl("[::1]:8093")).toBe("http://[::1]:8093");
    expect(normalizeServerUrl("http://host:1/prefix/")).toBe("http://host:1/prefix");
  });

  it.each(["", "   ", "ftp://host:21", "http://user:pw@host:1", "http://host:1/?q=1", "http://host:1/#f", "http://host:99999", 42])(
    "rejects %p with INVALID_ARGUMENT naming serverUrl",
    (url) => {
      expect(() => new GrpcSchedulerClient(url as string)).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", field: "serverUrl" }),
      );
    },
  );

  it("rejects bad client options", () => {
    expect(() => new GrpcSchedulerClient("localhost:1", { timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "options.timeoutMs" }),
    );
    expect(() => new GrpcSchedulerClient("localhost:1", { pageSize: 5000 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "pageSize" }),
    );
    expect(() => new GrpcSchedulerClient("localhost:1", { transport: "grpc-js" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "options.transport", message: expect.stringContaining('"grpc-js"') }),
    );
    expect(DEFAULT_TIMEOUT_MS).toBe(10_000);
  });
});

describe("GrpcSchedulerClient against real sockets", () => {
  it("validates before any network I/O: bad requests fail with INVALID_* even with no server", async () => {
    const client = new GrpcSchedulerClient(`127.0.0.1:${await closedPort()}`);
    const bad = client.createJob({ name: "", schedule: { type: "interval", intervalMs: 1 }, payload: null });
    await expect(bad).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "name" });
    const badCron = client.createJob({ name: "x", schedule: { type: "cron", expression: "nope" }, payload: null });
    await expect(badCron).rejects.toMatchObject({ code: "INVALID_SCHEDULE" });
    await expect(client.getJob("")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    // ...while a valid call does reach the network, and fails there.
    const refused = (await client.getJob("x").catch((e: unknown) => e)) as SchedulerError;
    expect(refused).toBeInstanceOf(SchedulerError);
    expect(refused.code).toBe("SERVER_ERROR");
    expect(refused.cause).toBeDefined();
    await client.close();
  });

  it("maps a deadline to TIMEOUT, per call and by default", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url, { timeoutMs: 100 });
    await expect(client.getJob("x", { timeoutMs: 50 })).rejects.toMatchObject({ code: "TIMEOUT" });
    await expect(client.getJob("x")).rejects.toMatchObject({ code: "TIMEOUT" });
    await expect(client.listJobs({}, { timeoutMs: 50 })).rejects.toMatchObject({ code: "TIMEOUT" });
    await client.close();
    await silent.close();
  });

  it("sends the default 10 s deadline when neither client nor call sets one", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url);
    const controller = new AbortController();
    const call = client.getJob("x", { signal: controller.signal }).catch(() => undefined);
    while (silent.headers.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await call;
    await client.close();
    await silent.close();
    // The time left when the stream was opened: the deadline, less the moments spent getting there.
    const sent = Number(/^(\d+)m$/.exec(String(silent.headers[0]["grpc-timeout"]))?.[1]);
    expect(sent).toBeLessThanOrEqual(DEFAULT_TIMEOUT_MS);
    expect(sent).toBeGreaterThan(DEFAULT_TIMEOUT_MS - 1_000);
  });

  it("rejects with the signal's reason when a call in flight is aborted", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url);
    const controller = new AbortController();
    const call = client.getJob("x", { signal: controller.signal });
    const reason = new Error("shutting down");
    setImmediate(() => controller.abort(reason));
    await expect(call).rejects.toBe(reason);
    await client.close();
    await silent.close();
  });

  it("resolves every close() - also concurrent ones - only after the calls in flight settled", async () => {
    const silent = await silentServer();
    const client = new GrpcSchedulerClient(silent.url, { retry: false });
    const order: string[] = [];
    const calls = [client.getJob("a", { timeoutMs: 150 }), client.getJob("b", { timeoutMs: 250 })].map((p) =>
      p.then(
        () => order.push("call"),
        () => order.push("call"),
      ),
    );
    const closes = [client.close(), client.close()].map((p) => p.then(() => order.push("close")));
    await Promise.all([...calls, ...closes]);
    expect(order).toEqual(["call", "call", "close", "close"]);
    await client.close(); // and once more, with nothing in flight
    await silent.close();
  });

  describe("with the test server", () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await createTestServer({ clock: "manual" });
    });
    afterEach(() => server.close());

    it("waits for calls in flight on close, then refuses new calls with INVALID_STATE", async () => {
      const client = new GrpcSchedulerClient(server.url);
      const pending = client.listJobs();
      await client.close();
      await expect(pending).resolves.toEqual([]);
      await expect(client.getJob("x")).rejects.toMatchObject({ code: "INVALID_STATE" });
      await client.close();
    });

    it("checks one-shot times against the clock it is given (the server's simulated time)", async () => {
      const past = await createTestServer({ clock: "manual", startTime: new Date("2020-01-01T00:00:00Z") });
      const runAt = new Date("2020-01-01T00:01:00Z");
      const request = { name: "then", schedule: { type: "one_shot" as const, runAt }, payload: null };
      const aligned = new GrpcSchedulerClient(past.url, { clock: past.clock });
      expect(await aligned.createJob(request)).toMatchObject({ status: "pending", nextRunAt: runAt });
      // With the default system clock the client itself refuses a time in its past.
      const systemClock = new GrpcSchedulerClient(past.url);
      await expect(systemClock.createJob(request)).rejects.toMatchObject({ code: "INVALID_SCHEDULE", field: "schedule.runAt" });
      expect(() => new GrpcSchedulerClient(past.url, { clock: {} as { now(): number } })).toThrow(
        expect.objectContaining({ field: "options.clock" }),
      );
      await aligned.close();
      await systemClock.close();
      await past.close();
    });

    it("creates with the bare host:port form", async () => {
      const client = new GrpcSchedulerClient(server.url.replace("http://", ""));
      const job = await client.createJob({ name: "bare", schedule: { type: "interval", intervalMs: 1000 }, payload: [1] });
      expect((await client.getJob(job.id)).payload).toEqual([1]);
      await client.close();
    });

    it("tells a caller when a listing's deadline ran out between pages", async () => {
      const client = new GrpcSchedulerClient(server.url);
      for (let i = 0; i < 3; i++) await client.createJob({ name: `j${i}`, schedule: { type: "interval", intervalMs: 1000 }, payload: null });
      const realNow = performance.now.bind(performance);
      let calls = 0;
      // The monotonic clock jumps past the deadline after the first page: no sleeping, no flakiness.
      const now = jest.spyOn(performance, "now").mockImplementation(() => realNow() + (calls++ > 1 ? 60_000 : 0));
      try {
        await expect(client.listJobs({}, { pageSize: 1, timeoutMs: 30_000 })).rejects.toMatchObject({ code: "TIMEOUT" });
      } finally {
        now.mockRestore();
      }
      await client.close();
    });
  });
});
