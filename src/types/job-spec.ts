import type { Job, OverlapPolicy } from "./job.js";
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
  /** See `JobRequest.key`. */
  key?: string;
  /** See `JobRequest.overlap`; validation resolves it (see {@link ValidJobSpec}). */
  overlap?: OverlapPolicy;
  /** See `JobRequest.startAt`. */
  startAt?: Date;
  /** See `JobRequest.endAt`. */
  endAt?: Date;
}

/** A spec that passed validation: the overlap policy resolved (`"skip"` when none was set). Internal. */
export type ValidJobSpec = JobSpec & { overlap: OverlapPolicy };

/**
 * What an update changes, normalized as a {@link JobSpec} is (payload as JSON text); `null`
 * clears a window end. Only the fields present change. Internal.
 */
export interface SpecChanges {
  name?: string;
  schedule?: Schedule;
  payloadJson?: string;
  maxRetries?: number;
  timeoutSecs?: number;
  overlap?: OverlapPolicy;
  startAt?: Date | null;
  endAt?: Date | null;
}

/** `spec` with `changes` applied (not validated). Internal. */
export function applySpecChanges(spec: ValidJobSpec, changes: SpecChanges): ValidJobSpec {
  const { startAt, endAt, ...rest } = changes;
  const next: ValidJobSpec = { ...spec, ...rest };
  if (startAt === null) delete next.startAt;
  else if (startAt !== undefined) next.startAt = startAt;
  if (endAt === null) delete next.endAt;
  else if (endAt !== undefined) next.endAt = endAt;
  return next;
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
    overlap: stored.overlap,
  };
  if (stored.nextRunAt !== undefined) job.nextRunAt = stored.nextRunAt;
  if (stored.key !== undefined) job.key = stored.key;
  if (stored.startAt !== undefined) job.startAt = stored.startAt;
  if (stored.endAt !== undefined) job.endAt = stored.endAt;
  return job;
}
