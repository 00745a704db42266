import { TimerQueue } from "../../src/engine/timer-queue.js";

describe("TimerQueue", () => {
  it("pops due entries in time order, first-in first-out on ties", () => {
    const q = new TimerQueue();
    const ran: string[] = [];
    for (const [at, name] of [[30, "c"], [10, "a1"], [20, "b"], [10, "a2"], [40, "d"]] as const) {
      q.push(at, () => ran.push(name));
    }
    expect(q.size).toBe(5);
    expect(q.popDue(5)).toBeUndefined();
    for (let e = q.popDue(30); e !== undefined; e = q.popDue(30)) e.run();
    expect(ran).toEqual(["a1", "a2", "b", "c"]);
    expect(q.peek()?.atMs).toBe(40);
  });

  it("skips cancelled entries and ignores a second cancel", () => {
    const q = new TimerQueue();
    const a = q.push(1, () => undefined);
    const b = q.push(2, () => undefined);
    q.cancel(a);
    q.cancel(a);
    q.cancel(undefined);
    expect(q.size).toBe(1);
    expect(q.popDue(10)).toBe(b);
    expect(q.popDue(10)).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it("compacts when cancelled entries outnumber live ones, keeping heap order", () => {
    const q = new TimerQueue();
    const entries = Array.from({ length: 1000 }, (_, i) => q.push((i * 7919) % 1000, () => undefined));
    entries.filter((_, i) => i % 4 !== 0).forEach((e) => q.cancel(e));
    expect(q.size).toBe(250);
    const order: number[] = [];
    for (let e = q.popDue(Infinity); e !== undefined; e = q.popDue(Infinity)) order.push(e.atMs);
    expect(order).toHaveLength(250);
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it("holds 100,000 entries and drains them in order", () => {
    const q = new TimerQueue();
    for (let i = 0; i < 100_000; i++) q.push((i * 104_729) % 100_000, () => undefined);
    let last = -1;
    let count = 0;
    let outOfOrder = 0;
    for (let e = q.popDue(Infinity); e !== undefined; e = q.popDue(Infinity)) {
      if (e.atMs < last) outOfOrder++;
      last = e.atMs;
      count++;
    }
    expect([count, outOfOrder]).toEqual([100_000, 0]);
  });

  it("clears everything", () => {
    const q = new TimerQueue();
    q.push(1, () => undefined);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
  });
});
