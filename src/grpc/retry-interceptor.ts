import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { hasCauseCode } from "../internal/cause-chain.js";

/** How a call is retried after a transient failure. Every retry stays inside the call's deadline. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. @default 4 */
  maxAttempts: number;
  /** Upper bound of the first backoff. @default 100 */
  initialBackoffMs: number;
  /** Growth of the bound per retry. @default 2 */
  multiplier: number;
  /** Largest bound. @default 2000 */
  maxBackoffMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { maxAttempts: 4, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 2_000 };

// Node.js and HTTP/2 errors that mean "the request may not have arrived, or the answer was lost":
// safe to repeat because every scheduler call is idempotent (creates carry an idempotency key).
const TRANSIENT_NODE_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_PING_CANCEL",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * Whether a failed call may be retried: `UNAVAILABLE` and `RESOURCE_EXHAUSTED` from the server,
 * `CANCELED` that the caller did not cause (an HTTP/2 stream cancelled because its connection
 * died; the retry interceptor checks the call's own signal first), and connection-level failures
 * (resets, refused or closed streams) whatever status the transport gave them. Errors a server
 * sent on purpose (`INTERNAL`, `INVALID_ARGUMENT`, ...) are not retried.
 */
export function isTransient(err: unknown): boolean {
  const ce = ConnectError.from(err);
  if (ce.code === Code.Unavailable || ce.code === Code.ResourceExhausted || ce.code === Code.Canceled) return true;
  // Node.js errors anywhere on the cause chain (connect-node wraps them, maybe as INTERNAL).
  return hasCauseCode(ce.cause, TRANSIENT_NODE_ERRORS);
}

/**
 * A Connect interceptor that retries transient failures with exponential backoff and full
 * jitter (a random wait between 0 and the bound). The call's signal carries its deadline and the
 * caller's abort, so no retry outlives either: a wait is cut short and the call rejects.
 */
export function retryInterceptor(policy: RetryPolicy, random: () => number = Math.random): Interceptor {
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        if (attempt >= policy.maxAttempts || req.signal.aborted || !isTransient(err)) throw err;
        const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
        await wait(random() * bound, req.signal);
      }
    }
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort);
  });
}
