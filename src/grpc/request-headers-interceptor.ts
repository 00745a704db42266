import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { SchedulerError } from "../errors/scheduler-error.js";
import { checkToken } from "./grpc-client-options.js";

/**
 * Adds the client's extra headers and `authorization: Bearer <token>` to every attempt. A token
 * provider is awaited against the call's signal, so its time counts against the deadline and an
 * abort wins while it runs; the token it returns is checked before it becomes a header, and a
 * failing provider is reported without its value ever reaching a message, a cause or a log.
 */
export function requestHeadersInterceptor(headers: Record<string, string>, token: (() => string | Promise<string>) | undefined): Interceptor {
  const entries = Object.entries(headers);
  return (next) => async (req) => {
    for (const [name, value] of entries) req.header.set(name, value);
    if (token !== undefined) req.header.set("authorization", `Bearer ${checkToken(await untilAborted(callProvider(token), req.signal))}`);
    return next(req);
  };
}

async function callProvider(token: () => string | Promise<string>): Promise<string> {
  try {
    return await token();
  } catch (err) {
    throw new SchedulerError("the token provider (options.token) failed", "UNAUTHENTICATED", { field: "options.token", cause: err });
  }
}

/** `work`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(ConnectError.from(signal.reason, Code.Canceled));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
