import { SchedulerError, type SchedulerErrorCode } from "../errors/scheduler-error.js";
import { messageOf } from "../internal/message-of.js";

/** A mistake in how the CLI was called (unknown command, missing or bad option): exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Exit codes of `k1s0-scheduler`:
 * 0 success; 1 the operation failed (server error, timeout, invalid state); 2 usage error;
 * 3 job not found; 4 invalid request (bad schedule or argument); 5 a job with the key already exists.
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, notFound: 3, invalidRequest: 4, alreadyExists: 5 } as const;

const EXIT_BY_CODE: Record<SchedulerErrorCode, number> = {
  JOB_NOT_FOUND: EXIT_CODES.notFound,
  INVALID_SCHEDULE: EXIT_CODES.invalidRequest,
  INVALID_ARGUMENT: EXIT_CODES.invalidRequest,
  INVALID_STATE: EXIT_CODES.failed,
  UNAUTHENTICATED: EXIT_CODES.failed,
  TIMEOUT: EXIT_CODES.failed,
  SERVER_ERROR: EXIT_CODES.failed,
  RESOURCE_EXHAUSTED: EXIT_CODES.failed,
  JOB_ALREADY_EXISTS: EXIT_CODES.alreadyExists,
};

/** One readable line and an exit code for any error; never a stack trace. */
export function describeFailure(err: unknown): { line: string; exitCode: number } {
  if (err instanceof UsageError) return { line: `error: ${err.message} (see k1s0-scheduler --help)`, exitCode: EXIT_CODES.usage };
  if (err instanceof SchedulerError) return { line: `error: ${err.code}: ${err.message}`, exitCode: EXIT_BY_CODE[err.code] };
  const message = messageOf(err);
  return { line: `error: ${message.split("\n")[0]}`, exitCode: EXIT_CODES.failed };
}
