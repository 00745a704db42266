import { type DeadlineEntry, DeadlineQueue } from "../../src/grpc/deadline-queue.js";

describe("DeadlineQueue", () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const expired: string[] = [];
  beforeEach(() => (expired.length = 0));
  const entry = (name: string, inMs: number): DeadlineEntry => ({
    deadlineAt: performance.now() + inMs,
    expire: () => expired.push(name),
    earlier: undefined,
    later: undefined,
    queued: false,
  });

  it("expires entries in deadline order, whatever order they came in, each once", () => {
    const queue = new DeadlineQueue();
    for (const [name, ms] of [["c", 300], ["a", 100], ["d", 300], ["b", 200], ["e", 400]] as const) queue.add(entry(name, ms));
    jest.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(["a"]);
    jest.advanceTimersByTime(200);
    expect(expired).toEqual(["a", "b", "c", "d"]);
    jest.advanceTimersByTime(1_000);
    expect(expired).toEqual(["a", "b", "c", "d", "e"]);
    expect(queue.holdsProcess).toBe(false);
  });

  it("never expires a removed entry, holds the process only while an entry waits, and moves on when the earliest left first", () => {
    const queue = new DeadlineQueue();
    const first = entry("first", 100);
    const middle = entry("middle", 200);
    const last = entry("last", 300);
    queue.add(first);
    queue.add(middle);
    queue.add(last);
    queue.remove(first);
    queue.remove(middle);
    queue.remove(middle); // twice: no effect
    jest.advanceTimersByTime(250);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(50);
    expect(expired).toEqual(["last"]);
    expect(queue.holdsProcess).toBe(false);
    const lone = entry("lone", 100);
    queue.add(lone);
    expect(queue.holdsProcess).toBe(true);
    queue.remove(lone);
    expect(queue.holdsProcess).toBe(false);
    // An entry due after the timer (armed for nothing, not holding the process) holds it again.
    const later = entry("later", 200);
    queue.add(later);
    expect(queue.holdsProcess).toBe(true);
    jest.advanceTimersByTime(200);
    expect(expired).toEqual(["last", "later"]);
    expect(queue.holdsProcess).toBe(false);
  });

  it("re-arms for an entry due before the one the timer waits for", () => {
    const queue = new DeadlineQueue();
    queue.add(entry("late", 1_000));
    queue.add(entry("soon", 10));
    jest.advanceTimersByTime(10);
    expect(expired).toEqual(["soon"]);
  });
});
