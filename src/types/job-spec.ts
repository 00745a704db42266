import type { Job } from "./job.js";
import type { Schedule } from "./schedule.js";

/**
 * A validated, normalized job request: defaults resolved and the payload encoded as JSON text.
 * This is what travels on the wire and what the engine stores. Internal.
 */
export interface JobSpec {
  name: string;
  schedule: Schedule;
  payloadJson: string;
  maxRetries: number;
  timeoutSecs: number;
  /** Deduplicates retried creates; see `JobRequest.idempotencyKey`. */
  idempotencyKey?: string;
}

/**
 * A job as stored and sent on the wire: the payload kept as the exact JSON text it was created
 * with, so a server never rewrites what another language's client sent (big integers, key
 * order). Clients turn it into a {@link Job} with {@link toJob}. Internal.
 */
export type StoredJob = Omit<Job, "payload"> & { payloadJson: string };

/**
 * The caller-facing job: the stored one with its payload parsed (a fresh copy each time). Built
 * field by field, in the order the gRPC client's jobs have: a rest-and-spread copy cost four
 * times as much, on every execution the engine hands to an executor.
 */
export function toJob(stored: StoredJob): Job {
  const job: Job = {
    id: stored.id,
    name: stored.name,
    schedule: stored.schedule,
    status: stored.status,
    payload: JSON.parse(stored.payloadJson),
    maxRetries: stored.maxRetries,
    timeoutSecs: stored.timeoutSecs,
    createdAt: stored.createdAt,
  };
  if (stored.nextRunAt !== undefined) job.nextRunAt = stored.nextRunAt;
  return job;
}
