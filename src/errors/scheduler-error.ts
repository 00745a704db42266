/**
 * Every error code a {@link SchedulerError} can carry.
 *
 * The first four are the design document's; `INVALID_ARGUMENT` and `INVALID_STATE` are additive.
 *
 * | code | meaning |
 * | --- | --- |
 * | `JOB_NOT_FOUND` | no job has the given id |
 * | `INVALID_SCHEDULE` | the schedule is invalid (cron syntax, time zone, past one-shot, bad interval) |
 * | `INVALID_ARGUMENT` | another request field is invalid (name, payload, retries, timeout, page size, id) |
 * | `INVALID_STATE` | the operation is not allowed in the job's current status |
 * | `TIMEOUT` | the call's deadline passed before the server answered |
 * | `SERVER_ERROR` | anything else: the server failed, or could not be reached |
 * | `UNAUTHENTICATED` | the server refused the credentials (missing or wrong token, certificate) |
 * | `RESOURCE_EXHAUSTED` | a limit was reached: the server's (job count, stored bytes) or the client's response size cap |
 * | `JOB_ALREADY_EXISTS` | another job already has the requested `key` (see {@link SchedulerError.existingJobId}) |
 */
export const SCHEDULER_ERROR_CODES = [
  "JOB_NOT_FOUND",
  "INVALID_SCHEDULE",
  "SERVER_ERROR",
  "TIMEOUT",
  "INVALID_ARGUMENT",
  "INVALID_STATE",
  "UNAUTHENTICATED",
  "RESOURCE_EXHAUSTED",
  "JOB_ALREADY_EXISTS",
] as const;

/** One of {@link SCHEDULER_ERROR_CODES}. */
export type SchedulerErrorCode = (typeof SCHEDULER_ERROR_CODES)[number];

/** Extra, optional facts about a {@link SchedulerError}. */
export interface SchedulerErrorOptions {
  /** The underlying error (a `ConnectError`, a Node.js socket error, ...). */
  cause?: unknown;
  /** The request field at fault, as a dotted path such as `"schedule.expression"`. */
  field?: string;
  /** With `JOB_ALREADY_EXISTS`: the id of the job that has the key. */
  existingJobId?: string;
}

/**
 * The only error type the clients throw for a failed operation.
 *
 * Branch on {@link SchedulerError.code}, never on the message text: the message is for people and
 * may change. An aborted call does not throw a `SchedulerError`; it rejects with the
 * `AbortSignal`'s `reason`, as `fetch` does.
 *
 * @example
 * ```ts
 * try {
 *   await client.pauseJob(id);
 * } catch (err) {
 *   if (err instanceof SchedulerError && err.code === "JOB_NOT_FOUND") { ... }
 * }
 * ```
 */
export class SchedulerError extends Error {
  /** Always `"SchedulerError"`. */
  override readonly name = "SchedulerError";
  /** The request field at fault, when one field is (for example `"schedule.expression"`). */
  readonly field: string | undefined;
  /** With `JOB_ALREADY_EXISTS`: the id of the job that already has the key. (Additive.) */
  readonly existingJobId: string | undefined;

  constructor(
    message: string,
    /** What went wrong, machine-readably. */
    readonly code: SchedulerErrorCode,
    options: SchedulerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
    this.existingJobId = options.existingJobId;
  }
}
