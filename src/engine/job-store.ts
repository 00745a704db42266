import type { JobFilter } from "../types/job.js";
import type { JobRecord } from "./job-record.js";

/**
 * The jobs an engine holds (deleted ones are gone): by id, by key, and in creation order. The
 * order is a list sorted by `seq` and searched in halves, so a page token (the `seq` a page
 * ended at) stays valid when jobs before or after it are deleted.
 */
export class JobStore {
  private readonly byId = new Map<string, JobRecord>();
  /** Job id by key, for the jobs that have one. */
  private readonly byKey = new Map<string, string>();
  /** Ascending seq. */
  private readonly ordered: JobRecord[] = [];
  private seq = 0;

  /** Jobs held. */
  get size(): number {
    return this.ordered.length;
  }

  /** The seq of the next job: creation order, never reused. */
  nextSeq(): number {
    return this.seq++;
  }

  get(id: string): JobRecord | undefined {
    return this.byId.get(id);
  }

  /** The id of the job with `key`, if one has it. */
  holderOf(key: string): string | undefined {
    return this.byKey.get(key);
  }

  /** Every job, oldest first. */
  all(): readonly JobRecord[] {
    return this.ordered;
  }

  /** Adds a job whose seq is above every other's (from {@link JobStore.nextSeq}). */
  add(r: JobRecord): void {
    this.byId.set(r.id, r);
    this.ordered.push(r);
    if (r.spec.key !== undefined) this.byKey.set(r.spec.key, r.id);
  }

  remove(r: JobRecord): void {
    this.byId.delete(r.id);
    this.ordered.splice(this.positionAfter(r.seq - 1), 1);
    if (r.spec.key !== undefined) this.byKey.delete(r.spec.key);
  }

  /**
   * Up to `size` jobs matching `filter` with a seq above `afterSeq`, oldest first, as long as
   * `admit` takes them (it stops the page). Returns them, the seq the page ended at (the next
   * page starts after it) and whether jobs remain after that.
   */
  scan(filter: JobFilter, afterSeq: number, size: number, admit: (r: JobRecord, taken: number) => boolean): { items: JobRecord[]; lastSeq: number; more: boolean } {
    const items: JobRecord[] = [];
    let lastSeq = afterSeq;
    let at = this.positionAfter(afterSeq);
    for (; at < this.ordered.length && items.length < size; at++) {
      const r = this.ordered[at];
      if (!matches(r, filter)) {
        lastSeq = r.seq;
        continue;
      }
      if (!admit(r, items.length)) return { items, lastSeq, more: true };
      lastSeq = r.seq;
      items.push(r);
    }
    return { items, lastSeq, more: items.length === size && at < this.ordered.length };
  }

  /** Index in `ordered` of the first job whose seq is above `seq`. */
  private positionAfter(seq: number): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ordered[mid].seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function matches(r: JobRecord, filter: JobFilter): boolean {
  return (
    (filter.status === undefined || r.status === filter.status) &&
    (filter.namePrefix === undefined || r.spec.name.startsWith(filter.namePrefix)) &&
    (filter.key === undefined || r.spec.key === filter.key)
  );
}
