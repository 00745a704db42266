import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
import { schedulerClientContract } from "./scheduler-client.contract.js";

describe.each(["node-http2", "connect"] as const)("GrpcSchedulerClient contract, %s transport (real HTTP/2 socket to the test server)", (transport) => {
  schedulerClientContract(async (options) => {
    const server = await createTestServer({ clock: "manual", ...options });
    const client = new GrpcSchedulerClient(server.url, { clock: server.clock, transport });
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
