/** A due item in a {@link TimerQueue}. */
export interface TimerEntry {
  readonly atMs: number;
  readonly run: () => void;
  /** Insertion order; breaks ties so that equal times run first-in, first-out. */
  readonly order: number;
  cancelled: boolean;
}

/**
 * A binary min-heap of due items ordered by (time, insertion order): one structure for every
 * job's next fire, retry and execution timeout, so 100,000 jobs need one OS timer, not 100,000.
 * Cancelling marks an entry; cancelled entries are dropped when they reach the top, and the heap
 * is compacted when they outnumber the live ones.
 */
export class TimerQueue {
  private heap: TimerEntry[] = [];
  private order = 0;
  private cancelledCount = 0;

  /** Live (not cancelled) entries. */
  get size(): number {
    return this.heap.length - this.cancelledCount;
  }

  push(atMs: number, run: () => void): TimerEntry {
    const entry: TimerEntry = { atMs, run, order: this.order++, cancelled: false };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    return entry;
  }

  cancel(entry: TimerEntry | undefined): void {
    if (entry === undefined || entry.cancelled) return;
    entry.cancelled = true;
    this.cancelledCount++;
    if (this.cancelledCount > 64 && this.cancelledCount * 2 > this.heap.length) this.compact();
  }

  /** The earliest live entry, without removing it. */
  peek(): TimerEntry | undefined {
    this.dropCancelledTop();
    return this.heap[0];
  }

  /** Removes and returns the earliest live entry if it is due at `nowMs`. */
  popDue(nowMs: number): TimerEntry | undefined {
    const top = this.peek();
    if (top === undefined || top.atMs > nowMs) return undefined;
    this.removeTop();
    top.cancelled = true; // a popped entry can no longer be cancelled
    return top;
  }

  clear(): void {
    this.heap = [];
    this.cancelledCount = 0;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && (this.heap[0]).cancelled) {
      this.removeTop();
      this.cancelledCount--;
    }
  }

  private removeTop(): void {
    const last = this.heap.pop() as TimerEntry;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private compact(): void {
    this.heap = this.heap.filter((e) => !e.cancelled);
    this.cancelledCount = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.atMs < y.atMs || (x.atMs === y.atMs && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a];
    this.heap[a] = this.heap[b];
    this.heap[b] = t;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
