import { createHash } from "node:crypto";
import { DEFAULT_TIME_ZONE } from "../schedule/cron-expression.js";
import type { JobSpec } from "../types/job-spec.js";
import { invalid } from "../validation/invalid.js";

interface Entry {
  jobId: string;
  /** SHA-256 of the request's canonical form (base64, 44 characters): fixed size, whatever the payload. */
  digest: string;
  atMs: number;
}

/**
 * Remembers which job each idempotency key created, for `windowMs`, so that a retried
 * CreateJob returns the original job instead of creating a second one. Each entry keeps a
 * fixed-size digest of the request, never a copy of it: a 1 MiB payload costs 44 bytes here.
 */
export class IdempotencyStore {
  // Insertion-ordered, so the oldest entries are at the front.
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly windowMs: number) {}

  /**
   * @returns the id of the job an earlier identical request created, or `undefined`.
   * @throws `INVALID_ARGUMENT` when the key was used for a different request.
   */
  lookup(key: string, spec: JobSpec, nowMs: number): string | undefined {
    this.prune(nowMs);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.digest !== requestDigest(spec)) {
      throw invalid("INVALID_ARGUMENT", "idempotencyKey", key, "was already used for a different request");
    }
    return entry.jobId;
  }

  remember(key: string, spec: JobSpec, jobId: string, nowMs: number): void {
    this.entries.set(key, { jobId, digest: requestDigest(spec), atMs: nowMs });
  }

  /** Keys remembered now (expired ones are dropped on the next lookup). */
  get size(): number {
    return this.entries.size;
  }

  private prune(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (nowMs - entry.atMs < this.windowMs) return;
      this.entries.delete(key);
    }
  }
}

/**
 * What makes two create requests "the same": the SHA-256 of their normalized form (see
 * {@link canonicalRequest}), so equal requests have equal digests and a collision between
 * different ones is out of reach.
 */
export function requestDigest(spec: JobSpec): string {
  return createHash("sha256").update(canonicalRequest(spec), "utf8").digest("base64");
}

/**
 * A create request in normalized form: the default time zone spelled out, cron fields separated
 * by single spaces, one-shot times as epoch ms, and the payload as canonical JSON (object keys
 * sorted), so a retry that spells an equal request differently is still recognized.
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
  return JSON.stringify([spec.name, schedule, canonicalJson(spec.payloadJson), spec.maxRetries, spec.timeoutSecs]);
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
