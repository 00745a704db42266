/**
 * What Connect-ES's own gRPC transport (option transport: "connect") lets an interceptor do with
 * the request and the response, the lean transport (the default) must let it do too.
 */
import type { Interceptor } from "@connectrpc/connect";
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";

const transports = ["connect", "node-http2"] as const;

describe.each(transports)("transport %s", (transport) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
  });
  afterAll(() => server.close());

  const outcome = async (interceptors: Interceptor[]): Promise<string> => {
    const client = new GrpcSchedulerClient(server.url, { interceptors, retry: false, transport });
    try {
      return await client.listJobs().then(
        () => "ok",
        (e: SchedulerError) => `${e.code}: ${e.message}`,
      );
    } finally {
      await client.close();
    }
  };

  it("an interceptor may give the request a new Headers object (a plain JS assignment)", async () => {
    // Connect builds the request as an object literal: every field is writable at runtime.
    const replaceHeaders: Interceptor = (next) => (req) => {
      const header = new Headers(req.header);
      header.set("x-tenant", "t1");
      (req as { header: Headers }).header = header;
      return next(req);
    };
    expect(await outcome([replaceHeaders])).toBe("ok");
  });

  it("an outer interceptor reads the response headers after an inner one copied the response", async () => {
    let seen: string | null | undefined = "not read";
    const readHeaders: Interceptor = (next) => async (req) => {
      const res = await next(req);
      seen = res.header.get("content-type");
      return res;
    };
    const copyResponse: Interceptor = (next) => async (req) => {
      const res = await next(req);
      return { ...res };
    };
    expect(await outcome([readHeaders, copyResponse])).toBe("ok");
    expect(seen).toMatch(/^application\/grpc/);
  });
});
