import type { Executor, JobCompletedEvent, SchedulerClient } from "@k1s0/scheduler-client";

/** What the contract suite needs from a client under test: the client, plus control of time. */
export interface ContractHarness {
  client: SchedulerClient;
  advanceTime(ms: number): Promise<void>;
  now(): Date;
  onJobCompleted(listener: (event: JobCompletedEvent) => void): () => void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  executor: Executor;
  startTime: Date;
  executionHistoryLimit?: number;
}

export type HarnessFactory = (options: HarnessOptions) => Promise<ContractHarness>;
