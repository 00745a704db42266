import { GrpcSchedulerClient, type Interceptor, type Logger } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

describe("logging and interceptors", () => {
  it("prints nothing to the console by default, even when calls fail", async () => {
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => undefined));
    try {
      const server = await createTestServer({ clock: "manual" });
      const client = new GrpcSchedulerClient(server.url);
      const job = await client.createJob({ name: "quiet", schedule: { type: "interval", intervalMs: 1000 }, payload: null });
      await server.advanceTime(3000);
      await client.getJob("missing").catch(() => undefined);
      await client.cancelJob(job.id);
      await client.pauseJob(job.id).catch(() => undefined);
      await client.close();
      await server.close();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("runs caller interceptors on every call and reports failures to the logger", async () => {
    const serverLogger = recordingLogger();
    const clientLogger = recordingLogger();
    const server = await createTestServer({ clock: "manual", logger: serverLogger });
    const seen: string[] = [];
    const tracing: Interceptor = (next) => async (req) => {
      req.header.set("x-trace-id", "trace-1");
      seen.push(req.method.name);
      return next(req);
    };
    const client = new GrpcSchedulerClient(server.url, { interceptors: [tracing], logger: clientLogger });
    await client.listJobs();
    await client.getJob("missing").catch(() => undefined);
    await client.close();
    await server.close();
    expect(seen).toEqual(["ListJobs", "GetJob"]);
    expect(clientLogger.lines).toEqual([expect.stringMatching(/^debug scheduler call failed .*"code":"JOB_NOT_FOUND"/)]);
    expect(serverLogger.lines[0]).toMatch(/^info scheduler test server listening/);
    expect(serverLogger.lines).toContainEqual(expect.stringMatching(/^debug scheduler request failed .*"method":"GetJob".*"code":"NotFound"/));
  });

  it("rejects interceptors that are not functions", () => {
    expect(() => new GrpcSchedulerClient("localhost:1", { interceptors: [42 as unknown as Interceptor] })).toThrow(
      expect.objectContaining({ field: "options.interceptors" }),
    );
  });
});
