/** The request interceptors see honours Connect's contract, copies included. */
import type { Interceptor } from "@connectrpc/connect";
import { GrpcSchedulerClient, type SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";

describe("the request object interceptors see", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual" });
  });
  afterAll(() => server.close());

  it("an interceptor that copies the request and sets a header on its copy works", async () => {
    const copyThenSet: Interceptor = (next) => (req) => {
      const copy = { ...req };
      copy.header.set("x-tenant", "t1");
      return next(copy);
    };
    const client = new GrpcSchedulerClient(server.url, { interceptors: [copyThenSet], retry: false });
    const out = await client.listJobs().then(() => "ok", (e: SchedulerError) => `${e.code}: ${e.message}`);
    await client.close();
    expect(out).toBe("ok");
  });
});
