import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SchedulerService } from "../../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";

/** A generated Connect client of the scheduler service: requests go out as built, unchecked. */
export type RawClient = ReturnType<typeof createClient<typeof SchedulerService>>;

/**
 * Starts a test server (manual clock at `startMs`) before the suite's tests and closes it after;
 * `raw()` is a generated client for it, which sends requests exactly as built, as a client in
 * another language would, bypassing this package's client-side checks.
 */
export function useRawServer(startMs: number): { raw(): RawClient } {
  let server: TestServer | undefined;
  let client: RawClient | undefined;
  beforeAll(async () => {
    server = await createTestServer({ clock: "manual", startTime: new Date(startMs) });
    client = createClient(SchedulerService, createGrpcTransport({ baseUrl: server.url }));
  });
  afterAll(() => server?.close());
  return {
    raw() {
      if (client === undefined) throw new Error("no raw client outside the suite's tests");
      return client;
    },
  };
}
