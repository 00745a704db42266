import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/k1s0/system/scheduler/v1/errors_pb.js";
import { SchedulerError, type SchedulerErrorCode } from "../errors/scheduler-error.js";
import type { Logger } from "../logging/logger.js";

type DomainReason = Exclude<SchedulerErrorCode, "SERVER_ERROR" | "TIMEOUT" | "UNAUTHENTICATED" | "RESOURCE_EXHAUSTED">;

const REASONS: Record<DomainReason, { reason: ErrorReason; status: Code }> = {
  JOB_NOT_FOUND: { reason: ErrorReason.JOB_NOT_FOUND, status: Code.NotFound },
  INVALID_SCHEDULE: { reason: ErrorReason.INVALID_SCHEDULE, status: Code.InvalidArgument },
  INVALID_ARGUMENT: { reason: ErrorReason.INVALID_ARGUMENT, status: Code.InvalidArgument },
  INVALID_STATE: { reason: ErrorReason.INVALID_STATE, status: Code.FailedPrecondition },
  JOB_ALREADY_EXISTS: { reason: ErrorReason.JOB_ALREADY_EXISTS, status: Code.AlreadyExists },
};

const CODE_OF_REASON = new Map<ErrorReason, SchedulerErrorCode>(
  (Object.entries(REASONS) as [DomainReason, { reason: ErrorReason }][]).map(([code, { reason }]) => [reason, code]),
);

// Used only when an error carries no ErrorDetail (a proxy, another server implementation).
const CODE_OF_STATUS = new Map<Code, SchedulerErrorCode>([
  [Code.NotFound, "JOB_NOT_FOUND"],
  [Code.InvalidArgument, "INVALID_ARGUMENT"],
  [Code.FailedPrecondition, "INVALID_STATE"],
  [Code.DeadlineExceeded, "TIMEOUT"],
  [Code.Unauthenticated, "UNAUTHENTICATED"],
  [Code.PermissionDenied, "UNAUTHENTICATED"],
  [Code.ResourceExhausted, "RESOURCE_EXHAUSTED"],
  [Code.AlreadyExists, "JOB_ALREADY_EXISTS"],
]);

/**
 * The one translation point from anything a Connect call throws (`ConnectError`s from the
 * server, Node.js socket errors wrapped by the transport) to a {@link SchedulerError}. The
 * domain code comes from the structured `ErrorDetail` the server attaches, else from the gRPC
 * status; never from message text. The original error is kept as `cause`.
 */
export function toSchedulerError(err: unknown): SchedulerError {
  if (err instanceof SchedulerError) return err;
  // A SchedulerError raised inside the call (a token check, the client closing) that the
  // transport wrapped on its way out.
  if (err instanceof ConnectError && err.cause instanceof SchedulerError) return err.cause;
  const connectError = ConnectError.from(err);
  const detail = connectError.findDetails(ErrorDetailSchema)[0];
  // An ErrorDetail decides the code; ERROR_REASON_UNSPECIFIED (or a reason this client does not
  // know) means a server error, as errors.proto says, whatever the status code.
  const fromDetail = detail === undefined ? undefined : (CODE_OF_REASON.get(detail.reason) ?? "SERVER_ERROR");
  const code = fromDetail ?? CODE_OF_STATUS.get(connectError.code) ?? "SERVER_ERROR";
  const message = fromDetail === undefined ? connectError.message : connectError.rawMessage;
  return new SchedulerError(message, code, {
    cause: err,
    ...(detail === undefined || detail.field === "" ? {} : { field: detail.field }),
    ...(detail === undefined || detail.existingJobId === "" ? {} : { existingJobId: detail.existingJobId }),
  });
}

/**
 * Server side: a `SchedulerError` becomes a `ConnectError` with the matching gRPC status and an
 * `ErrorDetail`; anything else becomes `INTERNAL` without its message, so no internals leak.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (!(err instanceof SchedulerError)) return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
  if (err.code === "TIMEOUT") return new ConnectError(err.message, Code.DeadlineExceeded);
  if (err.code === "SERVER_ERROR") return new ConnectError(err.message, Code.Internal);
  if (err.code === "UNAUTHENTICATED") return new ConnectError(err.message, Code.Unauthenticated);
  if (err.code === "RESOURCE_EXHAUSTED") return new ConnectError(err.message, Code.ResourceExhausted);
  const { reason, status } = REASONS[err.code];
  return new ConnectError(err.message, status, undefined, [
    { desc: ErrorDetailSchema, value: { reason, field: err.field ?? "", existingJobId: err.existingJobId ?? "" } },
  ]);
}

/** A server interceptor that applies {@link toConnectError} to every handler's failure. */
export const translateErrors: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    throw toConnectError(err);
  }
};

/** A server interceptor that reports every failed call (after translation) to `logger` at `debug`. */
export function logFailures(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const connectError = ConnectError.from(err);
      logger.debug("scheduler request failed", { method: req.method.name, code: Code[connectError.code], message: connectError.rawMessage });
      throw err;
    }
  };
}
