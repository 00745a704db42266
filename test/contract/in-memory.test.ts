import { InMemorySchedulerClient } from "@k1s0/scheduler-client";
import { schedulerClientContract } from "./scheduler-client.contract.js";

describe("InMemorySchedulerClient contract", () => {
  schedulerClientContract(async (options) => {
    const client = new InMemorySchedulerClient({ clock: "manual", ...options });
    return {
      client,
      advanceTime: (ms) => client.advanceTime(ms),
      now: () => client.now(),
      onJobCompleted: (listener) => client.onJobCompleted(listener),
      close: async () => client.close(),
    };
  });
});
