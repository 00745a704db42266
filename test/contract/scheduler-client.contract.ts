import { executionsContract } from "./executions.contract.js";
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
}
