import { invalid } from "../validation/invalid.js";

interface Entry<T> {
  value: T;
  /** SHA-256 of the request's canonical form (base64, 44 characters): fixed size, whatever the payload. */
  digest: string;
  atMs: number;
}

/**
 * Remembers what each idempotency key produced (the job a CreateJob created, the execution a
 * TriggerJob started), for `windowMs`, so that a retried request returns the original result
 * instead of making a second one. Each entry keeps a fixed-size digest of the request (see
 * `requestDigest`), never a copy of it: a 1 MiB payload costs 44 bytes here.
 */
export class IdempotencyStore<T> {
  // Insertion-ordered, so the oldest entries are at the front.
  private readonly entries = new Map<string, Entry<T>>();

  /** @param field the request field the keys come from, named in errors. */
  constructor(
    private readonly windowMs: number,
    private readonly field: string,
  ) {}

  /**
   * @returns what an earlier identical request (same `digest`) produced, or `undefined`.
   * @throws `INVALID_ARGUMENT` when the key was used for a different request.
   */
  lookup(key: string, digest: string, nowMs: number): T | undefined {
    this.prune(nowMs);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.digest !== digest) {
      throw invalid("INVALID_ARGUMENT", this.field, key, "was already used for a different request");
    }
    return entry.value;
  }

  /** Remembers `value` for `key` (dropping the entries older than the window first). */
  remember(key: string, digest: string, value: T, nowMs: number): void {
    this.prune(nowMs);
    this.entries.set(key, { value, digest, atMs: nowMs });
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

