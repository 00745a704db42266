import type { ExecutionResult, ExecutionTrigger, JobExecution } from "../types/execution.js";

/** An execution as the engine holds it (mutable until it finishes). */
export interface ExecutionRecord {
  readonly id: string;
  readonly jobId: string;
  readonly startedAtMs: number;
  readonly attempt: number;
  readonly trigger: ExecutionTrigger;
  finishedAtMs: number | undefined;
  result: ExecutionResult;
  error: string | undefined;
}

/** A domain copy of an execution record. */
export function toJobExecution(r: ExecutionRecord): JobExecution {
  return {
    id: r.id,
    jobId: r.jobId,
    startedAt: new Date(r.startedAtMs),
    ...(r.finishedAtMs === undefined ? {} : { finishedAt: new Date(r.finishedAtMs) }),
    result: r.result,
    ...(r.error === undefined ? {} : { error: r.error }),
    attempt: r.attempt,
    trigger: r.trigger,
  };
}

/**
 * One job's executions, oldest first, keeping the newest `limit`. Each execution has a sequence
 * number that survives trimming, so page tokens stay valid while old entries are dropped.
 */
export class ExecutionHistory {
  private items: ExecutionRecord[] = [];
  private firstSeq = 0;

  constructor(private readonly limit: number) {}

  add(record: ExecutionRecord): void {
    this.items.push(record);
    if (this.items.length > this.limit) {
      this.items.shift();
      this.firstSeq++;
    }
  }

  /** Up to `size` executions after sequence number `afterSeq` (-1 for the start). */
  page(afterSeq: number, size: number): { items: ExecutionRecord[]; lastSeq: number; more: boolean } {
    const start = Math.max(afterSeq + 1 - this.firstSeq, 0);
    const items = this.items.slice(start, start + size);
    return {
      items,
      lastSeq: this.firstSeq + start + items.length - 1,
      more: start + size < this.items.length,
    };
  }
}
