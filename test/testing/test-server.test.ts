import { execFile } from "node:child_process";
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { JobStatus } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { ListJobsRequestSchema, SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { createTestServer } from "@k1s0/scheduler-client/testing";

const run = promisify(execFile);

describe("createTestServer", () => {
  it("listens on 127.0.0.1 and a free port by default, and closes idempotently", async () => {
    const server = await createTestServer();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    await expect(server.advanceTime(1)).rejects.toMatchObject({ code: "INVALID_STATE" });
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
  });

  it("fails to start on a port that is taken", async () => {
    const first = await createTestServer();
    await expect(createTestServer({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });

  it("drains connections on close: a call whose request is still arriving completes", async () => {
    const server = await createTestServer({ clock: "manual" });
    const session = http2.connect(server.url);
    await new Promise((resolve) => session.once("connect", resolve));
    const stream = session.request({
      ":method": "POST",
      ":path": "/k1s0.system.scheduler.v1.SchedulerService/ListJobs",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const body = toBinary(ListJobsRequestSchema, create(ListJobsRequestSchema, { pageSize: 5 }));
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("trailers", resolve));
    stream.on("data", () => undefined);
    stream.write(frame.subarray(0, 3));
    // A PING round trip: frames are processed in order, so the server has now seen the stream.
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    const closed = server.close();
    // The server has said goodbye, but the request it already started is still served.
    stream.end(frame.subarray(3));
    try {
      expect((await trailers)["grpc-status"]).toBe("0");
    } finally {
      session.destroy();
      await closed;
    }
  });

  it("validates what other-language clients send: unknown status filter, missing schedule, bad payload text", async () => {
    const server = await createTestServer({ clock: "manual" });
    const transport = createGrpcTransport({ baseUrl: server.url });
    const raw = createClient(SchedulerService, transport);
    await expect(raw.listJobs({ status: 42 as JobStatus })).rejects.toMatchObject({ rawMessage: expect.stringContaining("filter.status") });
    await expect(raw.createJob({ name: "x", payloadJson: "{}" })).rejects.toMatchObject({ rawMessage: expect.stringContaining("schedule") });
    await expect(
      raw.createJob({ name: "x", payloadJson: "{not json", schedule: { kind: { case: "interval", value: { interval: { seconds: 60n } } } } }),
    ).rejects.toMatchObject({ rawMessage: expect.stringContaining("payload") });
    await expect(raw.listJobs({ pageSize: -1 })).rejects.toMatchObject({ rawMessage: expect.stringContaining("pageSize") });
    await server.close();
  });

  it("speaks standard gRPC to a client not written here (buf curl)", async () => {
    const server = await createTestServer({ clock: "manual" });
    const curl = (method: string, body: object) =>
      run(
        "npx",
        ["buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--schema", "proto", "-d", JSON.stringify(body),
          `${server.url}/k1s0.system.scheduler.v1.SchedulerService/${method}`],
        { cwd: `${__dirname}/../..` },
      );
    const created = JSON.parse((await curl("CreateJob", {
      name: "from-buf-curl",
      schedule: { cron: { expression: "0 2 * * *", timezone: "Asia/Tokyo" } },
      payloadJson: '{"tenant":"T-1"}',
      maxRetries: 2,
    })).stdout) as { job: { id: string; status: string; payloadJson: string; maxRetries: number } };
    expect(created.job).toMatchObject({ status: "JOB_STATUS_PENDING", payloadJson: '{"tenant":"T-1"}', maxRetries: 2 });
    const fetched = JSON.parse((await curl("GetJob", { jobId: created.job.id })).stdout) as { job: { name: string } };
    expect(fetched.job.name).toBe("from-buf-curl");
    const missing = await curl("GetJob", { jobId: "missing" }).catch((e: { stderr: string }) => e);
    expect((missing).stderr).toContain("not_found");
    await server.close();
  }, 60_000);
});
