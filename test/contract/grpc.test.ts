import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { schedulerClientContract } from "./scheduler-client.contract.js";

describe("GrpcSchedulerClient contract (real HTTP/2 socket to the test server)", () => {
  schedulerClientContract(async (options) => {
    const server = await createTestServer({ clock: "manual", ...options });
    const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
    return {
      client,
      advanceTime: (ms) => server.advanceTime(ms),
      now: () => server.now(),
      onJobCompleted: (listener) => server.onJobCompleted(listener),
      close: async () => {
        await client.close();
        await server.close();
      },
    };
  });
});
