import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { type AbortableTransport, deadlineExceeded } from "./http2-grpc-transport.js";

/**
 * Wraps Connect's own transport (the client's `transport: "connect"` option) so that its unary
 * calls end at their deadline or their caller's abort even when an interceptor never settles -
 * Connect aborts the request's signal then, but does not reject a call still waiting in an
 * interceptor - and so that all of them can be aborted when the client closes. The lean
 * transport does the same itself.
 */
export function withDeadlineGuard(transport: Transport): AbortableTransport {
  const calls = new Set<(reason: ConnectError) => void>();
  return {
    stream: transport.stream.bind(transport),
    abortAll(reason) {
      for (const abort of calls) abort(reason);
    },
    unary(method, signal, timeoutMs, header, input, contextValues) {
      return new Promise((resolve, reject) => {
        // Aborted with the call, so whatever still runs inside (an interceptor awaiting the
        // request's signal, Connect's own deadline timer) ends too.
        const inner = new AbortController();
        const abort = (reason: ConnectError): void => {
          end();
          inner.abort(reason);
          reject(reason);
        };
        const onCallerAbort = (): void => abort(ConnectError.from(signal?.reason, Code.Canceled));
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => abort(deadlineExceeded()), timeoutMs);
        const end = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onCallerAbort);
          calls.delete(abort);
        };
        calls.add(abort);
        if (signal?.aborted === true) onCallerAbort();
        else signal?.addEventListener("abort", onCallerAbort);
        transport.unary(method, inner.signal, timeoutMs, header, input, contextValues).then(
          (res) => {
            end();
            resolve(res);
          },
          (err: unknown) => {
            end();
            reject(ConnectError.from(err));
          },
        );
      });
    },
  };
}
