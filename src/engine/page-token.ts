import { invalid } from "../validation/invalid.js";

/**
 * Opaque page tokens: the position after which the next page starts, bound to what is being
 * listed (`scope`) so a token cannot be replayed against another filter or job.
 */
export function encodePageToken(scope: string, afterSeq: number): string {
  return Buffer.from(JSON.stringify([scope, afterSeq]), "utf8").toString("base64url");
}

/**
 * @returns the position encoded by `token`, or -1 for the empty (first-page) token.
 * @throws `INVALID_ARGUMENT` for a malformed token or one issued for another scope.
 */
export function decodePageToken(token: string, scope: string): number {
  if (token === "") return -1;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    decoded[0] !== scope ||
    !Number.isSafeInteger(decoded[1]) ||
    (decoded[1] as number) < 0
  ) {
    throw invalid("INVALID_ARGUMENT", "pageToken", token, "is not a page token issued for this listing");
  }
  return decoded[1] as number;
}
