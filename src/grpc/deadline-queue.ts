/** A call waiting for its deadline: told when it passes. */
export interface DeadlineEntry {
  /** When it is due (ms on the monotonic clock, `performance.now()`). */
  readonly deadlineAt: number;
  /** Called once when the deadline passes, unless the entry was removed before. */
  expire(): void;
  /** Neighbours in the queue; set by it. */
  earlier: DeadlineEntry | undefined;
  later: DeadlineEntry | undefined;
  queued: boolean;
}

/**
 * The deadlines of the calls in flight, in order, behind one timer for the earliest. Calls with
 * the same timeout join at the end (constant time), and a finished call leaves in constant time;
 * a per-call `setTimeout` costs a timer object, a timer-list insertion and its removal per call.
 * The timer is re-armed lazily: when the earliest call finishes first, the timer fires for
 * nothing once and moves on to the next deadline. It keeps the process alive only while a call
 * waits (an empty queue's timer is unref'd, not cleared: one call at a time would otherwise set
 * and clear it per call).
 */
/** The longest delay `setTimeout` takes (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class DeadlineQueue {
  private first: DeadlineEntry | undefined;
  private last: DeadlineEntry | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms on the monotonic clock). */
  private armedAt = Infinity;
  /** Whether the timer keeps the process alive. */
  private refed = false;

  /** Whether the queue keeps the process alive now (a call waits for its deadline). */
  get holdsProcess(): boolean {
    return this.timer !== undefined && this.refed;
  }

  add(entry: DeadlineEntry): void {
    // From the end: later deadlines are the common case.
    let before = this.last;
    while (before !== undefined && before.deadlineAt > entry.deadlineAt) before = before.earlier;
    entry.earlier = before;
    entry.later = before === undefined ? this.first : before.later;
    if (entry.earlier === undefined) this.first = entry;
    else entry.earlier.later = entry;
    if (entry.later === undefined) this.last = entry;
    else entry.later.earlier = entry;
    entry.queued = true;
    if (entry.deadlineAt < this.armedAt) this.arm(entry.deadlineAt);
    else if (!this.refed) {
      this.timer?.ref();
      this.refed = true;
    }
  }

  remove(entry: DeadlineEntry): void {
    if (!entry.queued) return;
    entry.queued = false;
    if (entry.earlier === undefined) this.first = entry.later;
    else entry.earlier.later = entry.later;
    if (entry.later === undefined) this.last = entry.earlier;
    else entry.later.earlier = entry.earlier;
    entry.earlier = entry.later = undefined;
    if (this.first === undefined && this.refed) {
      this.timer?.unref();
      this.refed = false;
    }
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    // A delay above setTimeout's limit would fire after 1 ms, again and again: wake at the limit
    // instead, expire nothing and re-arm.
    const now = performance.now();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - now));
    this.armedAt = delay === MAX_TIMER_MS ? now + delay : at;
    this.timer = setTimeout(() => this.fire(), delay);
    this.refed = true;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    this.refed = false;
    const now = performance.now();
    for (let entry = this.first; entry !== undefined && entry.deadlineAt <= now; entry = this.first) {
      this.remove(entry);
      entry.expire();
    }
    // A call added by an expire() (an abort listener that starts another call, say) may have
    // armed the timer for its own, later deadline: the earliest one left decides.
    if (this.first !== undefined && (this.timer === undefined || this.first.deadlineAt < this.armedAt)) this.arm(this.first.deadlineAt);
  }
}
