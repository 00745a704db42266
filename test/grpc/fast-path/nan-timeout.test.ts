/** A call without a usable timeout (NaN) has no deadline and does not stall the shared deadline queue for the calls after it. */
import { Code, ConnectError } from "@connectrpc/connect";
import { SchedulerService } from "../../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { Http2ConnectionManager } from "../../../src/grpc/http2-connection-manager.js";
import { createHttp2GrpcTransport } from "../../../src/grpc/http2-grpc-transport.js";
import { silentServer } from "../../support/silent-server.js";

it("a NaN timeout means no deadline; a later call's deadline still ends it", async () => {
  const silent = await silentServer();
  const sessionManager = new Http2ConnectionManager(silent.url, { pingIntervalMs: 300_000, pingTimeoutMs: 15_000, idleConnectionTimeoutMs: 900_000, connectTimeoutMs: 20_000 });
  const transport = createHttp2GrpcTransport({ baseUrl: silent.url, sessionManager });
  const stop = new AbortController();
  try {
    const unbounded = transport.unary(SchedulerService.method.getJob, stop.signal, NaN, undefined, { jobId: "a" }).catch((e: unknown) => e);
    const bounded = await transport.unary(SchedulerService.method.getJob, undefined, 200, undefined, { jobId: "b" }).then(
      () => "answered",
      (e: unknown) => (e instanceof ConnectError ? Code[e.code] : String(e)),
    );
    expect(bounded).toBe("DeadlineExceeded");
    // The unbounded call is still waiting, with no grpc-timeout sent; the caller ends it.
    expect(silent.headers[0]["grpc-timeout"]).toBeUndefined();
    stop.abort(new Error("test over"));
    expect(await unbounded).toBeInstanceOf(ConnectError);
  } finally {
    await sessionManager.close();
    await silent.close();
  }
});
