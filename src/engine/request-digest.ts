import { createHash } from "node:crypto";
import { DEFAULT_TIME_ZONE } from "../schedule/cron-expression.js";
import type { JobSpec } from "../types/job-spec.js";
import { DEFAULTS } from "../validation/limits.js";

/**
 * What makes two job requests "the same" (a retried create, an `ensureJob` that matches its
 * job): the SHA-256 of their normalized form (see {@link canonicalRequest}), so equal requests
 * have equal digests and a collision between different ones is out of reach. The idempotency
 * key itself is not part of it.
 */
export function requestDigest(spec: JobSpec): string {
  return createHash("sha256").update(canonicalRequest(spec), "utf8").digest("base64");
}

/**
 * A create request in normalized form: the default time zone spelled out, cron fields separated
 * by single spaces, one-shot and window times as epoch ms, and the payload as canonical JSON
 * (object keys sorted), so a retry that spells an equal request differently is still recognized.
 */
function canonicalRequest(spec: JobSpec): string {
  const s = (spec.schedule ?? {}) as unknown as Record<string, unknown>;
  let schedule: unknown = s;
  if (s.type === "cron") {
    const expression = typeof s.expression === "string" ? s.expression.trim().split(/\s+/).join(" ") : s.expression;
    schedule = { type: "cron", expression, timezone: s.timezone ?? DEFAULT_TIME_ZONE };
  } else if (s.runAt instanceof Date) {
    schedule = { ...s, runAt: s.runAt.getTime() };
  }
  return JSON.stringify([
    spec.name,
    schedule,
    canonicalJson(spec.payloadJson),
    spec.maxRetries,
    spec.timeoutSecs,
    spec.key ?? null,
    spec.overlap ?? DEFAULTS.overlap,
    timeOrNull(spec.startAt),
    timeOrNull(spec.endAt),
  ]);
}

function canonicalJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), (_key, value: unknown) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : value,
    );
  } catch {
    return text;
  }
}

function timeOrNull(value: unknown): number | null {
  return value instanceof Date ? value.getTime() : null;
}
