import { Code, ConnectError } from "@connectrpc/connect";
import { hasCauseCode } from "../internal/cause-chain.js";

/** Connection-level failures: the request may not have been processed (gRPC: UNAVAILABLE). */
export const UNAVAILABLE_NODE_ERRORS: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_HTTP2_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_PING_CANCEL",
  "ERR_STREAM_PREMATURE_CLOSE",
  // A TLS record where plaintext was expected and the reverse: the URL's scheme does not match the server.
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ECONNABORTED",
]);

// TLS alerts a server sends when it refuses the client's certificate (or gets none): the
// credentials are at fault, so the call is UNAUTHENTICATED rather than a server error.
const CLIENT_CERTIFICATE_REFUSED = new Set([
  "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
  "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
  "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
  "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
]);

/**
 * A Node.js socket, TLS or HTTP/2 error as a `ConnectError`, keeping the original as `cause`:
 * connection failures are `UNAVAILABLE`, a refused client certificate is `UNAUTHENTICATED`,
 * anything else `INTERNAL`. Errors already wrapped (by Connect) are re-classified from their
 * cause chain. Classification reads error codes, never message text.
 */
export function fromNodeError(err: unknown): ConnectError {
  const code = hasCauseCode(err, CLIENT_CERTIFICATE_REFUSED)
    ? Code.Unauthenticated
    : hasCauseCode(err, UNAVAILABLE_NODE_ERRORS)
      ? Code.Unavailable
      : undefined;
  if (err instanceof ConnectError) {
    if (code === undefined || err.code === code) return err;
    const reclassified = new ConnectError(err.rawMessage, code, err.metadata);
    reclassified.cause = err.cause ?? err;
    return reclassified;
  }
  const explained = explain(err);
  if (explained !== undefined) return new ConnectError(explained, code ?? Code.Internal, undefined, undefined, err);
  const ce = ConnectError.from(err, code ?? Code.Internal);
  if (ce !== err) ce.cause = err;
  return ce;
}

/** A readable sentence for the TLS failures whose OpenSSL text says little to a user. */
function explain(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  if (CLIENT_CERTIFICATE_REFUSED.has(code)) {
    return `the server refused the TLS client certificate, or requires one (options.tls.cert and options.tls.key) (${code})`;
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") {
    return `the server did not answer with TLS: use an http:// URL for a plaintext server (${code})`;
  }
  return undefined;
}
