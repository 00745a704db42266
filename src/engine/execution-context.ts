import type { ExecutionTrigger } from "../types/execution.js";
import type { Job } from "../types/job.js";
import type { ExecutionContext } from "./executor.js";

/**
 * An abort controller made on first use. Most executions finish without anyone reading their
 * signal, and an `AbortController` is one of the costliest objects an execution would allocate.
 * Aborting before the signal is read records the reason; the signal, once read, is already
 * aborted with it.
 */
export class LazyAbortController {
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts with `reason`; later calls do nothing, as with `AbortController`. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

const CONTROLLER = Symbol("controller");

// `signal` as an own, enumerable getter, so a spread copy of the context still has a signal.
// One shared descriptor: a getter in an object literal would make a new closure and a new hidden
// class for every execution.
const SIGNAL: PropertyDescriptor = {
  get(this: { [CONTROLLER]: LazyAbortController }): AbortSignal {
    return this[CONTROLLER].signal;
  },
  enumerable: true,
};

/** What the executor is handed; its `signal` is made only if the executor reads it. */
export function executionContext(
  job: Job,
  executionId: string,
  attempt: number,
  controller: LazyAbortController,
  trigger: ExecutionTrigger = "schedule",
): ExecutionContext {
  const ctx = { job, executionId, attempt, trigger, [CONTROLLER]: controller };
  return Object.defineProperty(ctx, "signal", SIGNAL) as typeof ctx & ExecutionContext;
}
