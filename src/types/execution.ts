/** The outcome of one execution attempt. */
export type ExecutionResult = "running" | "succeeded" | "failed" | "timed_out";

/** Every {@link ExecutionResult}, in the order of the contract's enum. */
export const EXECUTION_RESULTS = [
  "running",
  "succeeded",
  "failed",
  "timed_out",
] as const satisfies readonly ExecutionResult[];

/**
 * What started an execution: a fire of the job's `"schedule"`, a caller's `triggerJob`
 * (`"manual"`), or a `"retry"` of a failed or timed-out attempt.
 */
export type ExecutionTrigger = "schedule" | "manual" | "retry";

/** Every {@link ExecutionTrigger}, in the order of the contract's enum. */
export const EXECUTION_TRIGGERS = ["schedule", "manual", "retry"] as const satisfies readonly ExecutionTrigger[];

/** One attempt at running a job. Every retry is an execution of its own. */
export interface JobExecution {
  /** Server-assigned id of this execution. */
  id: string;
  /** The job it belongs to. */
  jobId: string;
  /** When the attempt started. */
  startedAt: Date;
  /** Absent while `result` is `"running"`. */
  finishedAt?: Date;
  /** How the attempt went. */
  result: ExecutionResult;
  /** Why the attempt failed or timed out. */
  error?: string;
  /** 1 for the first attempt of a fire, 2 for its first retry, and so on. (Additive.) */
  attempt: number;
  /** What started it; absent only from a server older than this field. (Additive.) */
  trigger?: ExecutionTrigger;
}

/**
 * Published when an execution finishes, whatever its result (Kafka topic
 * `k1s0.system.scheduler.job_completed.v1`). Delivery is at least once: deduplicate by
 * `executionId`.
 */
export interface JobCompletedEvent {
  /** The job the execution belongs to. */
  jobId: string;
  /** The execution that finished: unique per event, the key to deduplicate by. */
  executionId: string;
  /** When the execution finished. */
  completedAt: Date;
  /** `"succeeded"`, `"failed"` or `"timed_out"`. */
  result: ExecutionResult;
  /** The job's name. (Additive.) */
  jobName: string;
  /** Attempt number of the execution. (Additive.) */
  attempt: number;
  /** Why the execution failed or timed out. (Additive.) */
  error?: string;
  /** What started the execution; absent only in events of a server older than this field. (Additive.) */
  trigger?: ExecutionTrigger;
}
