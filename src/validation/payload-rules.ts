import { invalid } from "./invalid.js";
import { LIMITS } from "./limits.js";

/**
 * Encodes a payload as JSON text, refusing anything JSON would silently change or drop.
 * @throws `INVALID_ARGUMENT` naming the offending path (for example `payload.items[2]`).
 */
export function encodePayload(payload: unknown): string {
  assertJsonValue(payload, "payload", [], 0);
  return checkPayloadJson(JSON.stringify(payload));
}

/**
 * Checks payload JSON text as a server receives it: it must parse and fit the size limit.
 * @throws `INVALID_ARGUMENT`
 */
export function checkPayloadJson(text: string): string {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > LIMITS.payloadMaxBytes) {
    throw invalid(
      "INVALID_ARGUMENT",
      "payload",
      `${bytes} bytes of JSON`,
      `must be at most ${LIMITS.payloadMaxBytes} bytes as JSON`,
    );
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw invalid("INVALID_ARGUMENT", "payload", text, `is not valid JSON (${(err as Error).message})`);
  }
  return text;
}

function assertJsonValue(value: unknown, path: string, ancestors: object[], depth: number): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw invalid("INVALID_ARGUMENT", path, value, "must be a finite number");
      return;
    case "object":
      if (value === null) return;
      break;
    default:
      throw invalid("INVALID_ARGUMENT", path, value, "is not a JSON value");
  }
  if (depth >= LIMITS.payloadMaxDepth) {
    throw invalid("INVALID_ARGUMENT", path, value, `must not nest deeper than ${LIMITS.payloadMaxDepth} levels`);
  }
  if (ancestors.includes(value)) {
    throw invalid("INVALID_ARGUMENT", path, value, "refers back to itself (a cycle), which JSON cannot represent");
  }
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw invalid("INVALID_ARGUMENT", `${path}[${i}]`, undefined, "is a hole in a sparse array");
      assertJsonValue(value[i], `${path}[${i}]`, ancestors, depth + 1);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw invalid("INVALID_ARGUMENT", path, value, `is a ${kind}, not a plain object (convert it to JSON first)`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw invalid("INVALID_ARGUMENT", path, value, "has symbol keys, which JSON cannot represent");
    }
    for (const [key, item] of Object.entries(value)) {
      assertJsonValue(item, `${path}.${key}`, ancestors, depth + 1);
    }
  }
  ancestors.pop();
}
