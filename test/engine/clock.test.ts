import { ManualClock, SystemClock } from "@k1s0/scheduler-client";
import { resolveClock } from "../../src/engine/clock.js";

describe("ManualClock", () => {
  it("stands still until advanced, then runs alarms in time order at their instants", async () => {
    const clock = new ManualClock(1_000);
    const seen: [string, number][] = [];
    clock.setAlarm(1_500, () => void seen.push(["b", clock.now()]));
    clock.setAlarm(1_200, () => void seen.push(["a", clock.now()]));
    clock.setAlarm(1_500, () => void seen.push(["c", clock.now()]));
    const cancelled = clock.setAlarm(1_300, () => void seen.push(["x", clock.now()]));
    cancelled.cancel();
    cancelled.cancel();
    expect(clock.now()).toBe(1_000);
    await clock.advanceTime(400);
    expect(seen).toEqual([["a", 1_200]]);
    expect(clock.now()).toBe(1_400);
    await clock.advanceTime(100);
    expect(seen).toEqual([["a", 1_200], ["b", 1_500], ["c", 1_500]]);
  });

  it("runs alarms set by alarms within the same window, and awaits returned promises", async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    clock.setAlarm(10, async () => {
      await Promise.resolve();
      seen.push(clock.now());
      clock.setAlarm(20, () => void seen.push(clock.now()));
    });
    await clock.advanceTime(25);
    expect(seen).toEqual([10, 20]);
  });

  it("queues concurrent advances one after the other", async () => {
    const clock = new ManualClock(0);
    await Promise.all([clock.advanceTime(10), clock.advanceTime(5)]);
    expect(clock.now()).toBe(15);
  });

  it("rejects negative or non-finite steps with INVALID_ARGUMENT", async () => {
    const clock = new ManualClock(0);
    for (const bad of [-1, NaN, Infinity]) {
      await expect(clock.advanceTime(bad)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "ms" });
    }
    expect(clock.now()).toBe(0);
  });

  it("starts at the current time by default", () => {
    const before = Date.now();
    expect(new ManualClock().now()).toBeGreaterThanOrEqual(before);
  });
});

describe("SystemClock", () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it("fires an alarm when real time reaches it, and not after cancel", () => {
    const clock = new SystemClock();
    const fired: number[] = [];
    clock.setAlarm(100, () => void fired.push(clock.now()));
    const cancelled = clock.setAlarm(50, () => void fired.push(-1));
    cancelled.cancel();
    jest.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([100]);
  });

  it("re-arms alarms beyond setTimeout's 24.8-day limit", () => {
    const clock = new SystemClock();
    const at = 40 * 24 * 3600 * 1000;
    const fired: number[] = [];
    clock.setAlarm(at, () => void fired.push(clock.now()));
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(at - (2 ** 31 - 1));
    expect(fired).toEqual([at]);
  });
});

describe("resolveClock", () => {
  it("rejects unknown clock names and bad start times with INVALID_ARGUMENT", () => {
    expect(() => resolveClock("Manual" as "manual")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "clock" }));
    expect(() => resolveClock({ now: () => 0 } as unknown as ManualClock)).toThrow(expect.objectContaining({ field: "clock" }));
    expect(() => resolveClock(null as unknown as "system")).toThrow(expect.objectContaining({ field: "clock" }));
    expect(() => resolveClock("manual", new Date("nope"))).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "startTime" }));
  });

  it("resolves names and passes custom clocks through", () => {
    expect(resolveClock()).toBeInstanceOf(SystemClock);
    const manual = resolveClock("manual", new Date(42));
    expect(manual).toBeInstanceOf(ManualClock);
    expect(manual.now()).toBe(42);
    const custom = new ManualClock(7);
    expect(resolveClock(custom)).toBe(custom);
  });
});
