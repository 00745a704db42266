import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { hasCauseCode } from "../internal/cause-chain.js";
import { rejected } from "../internal/rejected.js";
import { encodeTimeout } from "./http2-grpc-transport.js";
import { UNAVAILABLE_NODE_ERRORS } from "./node-errors.js";

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
// connection-level failures, and a stream reset (connect-node reports one as INTERNAL). Safe to
// repeat because every scheduler call is idempotent (creates carry an idempotency key).
const TRANSIENT_NODE_ERRORS = new Set([...UNAVAILABLE_NODE_ERRORS, "ERR_HTTP2_STREAM_ERROR"]);

/**
 * Whether a failed call may be retried: `UNAVAILABLE`, and connection-level failures (resets,
 * refused or cancelled streams: a Node.js error on the cause chain) whatever status the
 * transport gave them - the retry interceptor checks the call's own signal first, so a call the
 * caller cancelled is never retried. Statuses a server sent on purpose (`CANCELLED`, `INTERNAL`,
 * `INVALID_ARGUMENT`, ...) are not retried, nor is `RESOURCE_EXHAUSTED`: a limit reached (the
 * server's job cap, the client's response size cap) is reached again by the same request.
 */
export function isTransient(err: unknown): boolean {
  const ce = ConnectError.from(err);
  if (ce.code === Code.ResourceExhausted) return false;
  if (ce.code === Code.Unavailable) return true;
  // Node.js errors anywhere on the cause chain (connect-node wraps them, maybe as INTERNAL).
  return hasCauseCode(ce.cause, TRANSIENT_NODE_ERRORS);
}

/**
 * A Connect interceptor that retries transient failures with exponential backoff and full
 * jitter (a random wait between 0 and the bound). The call's signal carries its deadline and the
 * caller's abort, so no retry outlives either: a wait is cut short and the call rejects.
 */
export function retryInterceptor(policy: RetryPolicy, random: () => number = Math.random): Interceptor {
  // Promise chaining rather than an async loop: a call that succeeds the first time (nearly
  // every call) pays for one handler, not for an async function and its awaits.
  return (next) => (req) => {
    const startedAt = performance.now();
    const send = (): ReturnType<typeof next> => {
      try {
        return next(req);
      } catch (err) {
        return rejected(err); // an interceptor below that throws is retried like one that rejects
      }
    };
    const attempt = (n: number): ReturnType<typeof next> =>
      send().catch(async (err: unknown) => {
        if (n >= policy.maxAttempts || req.signal.aborted || !isTransient(err)) throw err;
        const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (n - 1));
        await wait(random() * bound, req.signal);
        shrinkTimeout(req.header, performance.now() - startedAt);
        return attempt(n + 1);
      });
    return attempt(1);
  };
}

const TIMEOUT_UNIT_MS: Record<string, number> = { n: 1e-6, u: 1e-3, m: 1, S: 1_000, M: 60_000, H: 3_600_000 };
const originalTimeout = new WeakMap<Headers, number>();

/**
 * A retry tells the server the time left, not the call's whole deadline: `grpc-timeout` (set by
 * the transport from the deadline) shrinks by the time spent so far. The lean transport sets it
 * per attempt itself; this covers Connect's transport.
 */
function shrinkTimeout(header: Headers, elapsedMs: number): void {
  const value = header.get("grpc-timeout");
  if (value === null) return;
  let total = originalTimeout.get(header);
  if (total === undefined) {
    const match = /^(\d{1,8})([numSMH])$/.exec(value);
    if (match === null) return;
    total = Number(match[1]) * TIMEOUT_UNIT_MS[match[2]];
    originalTimeout.set(header, total);
  }
  header.set("grpc-timeout", encodeTimeout(Math.max(1, total - elapsedMs)));
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
