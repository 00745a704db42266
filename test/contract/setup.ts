import type { ExecutionContext, Executor, JobRequest, SchedulerError } from "@k1s0/scheduler-client";
import type { ContractHarness, HarnessFactory } from "./harness.js";

/** Simulated start of every contract test: a Saturday, the day before US daylight saving starts. */
export const START = new Date("2040-03-10T12:00:00Z");
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface Fixture {
  /** The harness of the current test (fresh per test). */
  readonly h: ContractHarness;
  /** Sets how executions of jobs with this name behave (default: succeed at once). */
  behave(name: string, executor: Executor): void;
  /** Every execution context the executor saw, in order. */
  readonly seen: ExecutionContext[];
}

/** Registers beforeEach/afterEach that give each test a fresh harness at {@link START}. */
export function useFixture(factory: HarnessFactory, extra: { executionHistoryLimit?: number } = {}): Fixture {
  const behaviors = new Map<string, Executor>();
  const seen: ExecutionContext[] = [];
  let current: ContractHarness | undefined;
  beforeEach(async () => {
    behaviors.clear();
    seen.length = 0;
    current = await factory({
      startTime: START,
      executor: (ctx) => {
        seen.push(ctx);
        return behaviors.get(ctx.job.name)?.(ctx);
      },
      ...extra,
    });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get h() {
      if (current === undefined) throw new Error("no harness outside a test");
      return current;
    },
    behave: (name, executor) => void behaviors.set(name, executor),
    seen,
  };
}

export const interval = (name: string, intervalMs = MINUTE, extra: Partial<JobRequest> = {}): JobRequest => ({
  name,
  schedule: { type: "interval", intervalMs },
  payload: { name },
  ...extra,
});

export const oneShot = (name: string, runAt: Date, extra: Partial<JobRequest> = {}): JobRequest => ({
  name,
  schedule: { type: "one_shot", runAt },
  payload: null,
  ...extra,
});

/** Awaits `promise` and returns the SchedulerError it rejects with (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<SchedulerError> {
  try {
    await promise;
  } catch (err) {
    return err as SchedulerError;
  }
  throw new Error("expected a rejection, but the call resolved");
}
