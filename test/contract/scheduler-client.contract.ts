import { executionsContract } from "./executions.contract.js";
import { jobKeysContract } from "./job-keys.contract.js";
import { triggerContract } from "./trigger.contract.js";
import { updateContract } from "./update.contract.js";
import { windowAndFiresContract } from "./window-and-fires.contract.js";
import type { HarnessFactory } from "./harness.js";
import { lifecycleContract } from "./lifecycle.contract.js";
import { listingContract } from "./listing.contract.js";
import { validationContract } from "./validation.contract.js";

/**
 * The behaviour every SchedulerClient must show. Run against the in-memory client and against
 * the gRPC client talking to the test server over a real socket: that keeps the fake honest.
 */
export function schedulerClientContract(factory: HarnessFactory): void {
  describe("lifecycle", () => lifecycleContract(factory));
  describe("executions", () => executionsContract(factory));
  describe("validation", () => validationContract(factory));
  describe("listing", () => listingContract(factory));
  describe("keys, ensureJob and deleteJob", () => jobKeysContract(factory));
  describe("updateJob", () => updateContract(factory));
  describe("triggerJob and overlap policies", () => triggerContract(factory));
  describe("active window and upcoming fires", () => windowAndFiresContract(factory));
  describe("the client itself", () => {
    it("close() is a promise on every client, and closing twice is fine; now() is a Date", async () => {
      const h = await factory({ executor: () => Promise.resolve(), startTime: new Date("2030-01-01T00:00:00Z") });
      try {
        expect(h.client.now()).toBeInstanceOf(Date);
        const first = h.client.close();
        expect(first).toBeInstanceOf(Promise);
        await expect(first).resolves.toBeUndefined();
        await expect(h.client.close()).resolves.toBeUndefined();
      } finally {
        await h.close();
      }
    });
  });
}
