import type { DeliveryFailure, JobCompletedEvent } from "@k1s0/scheduler-client";
import { ABANDONED, EventDelivery } from "../../src/events/event-delivery.js";
import { iterateEvents } from "../../src/events/event-iterator.js";

const ev = (n: number): JobCompletedEvent => ({
  jobId: "j",
  executionId: `e${n}`,
  completedAt: new Date(n),
  result: "succeeded",
  jobName: "n",
  attempt: 1,
});

describe("EventDelivery", () => {
  const noSleep = () => Promise.resolve();

  it("delivers synchronously when the handler does not return a promise", () => {
    const seen: string[] = [];
    const d = new EventDelivery((e) => void seen.push(e.executionId), { handlerRetries: 0, retryBackoffMs: 0, dedupeWindowMs: 0 }, {});
    expect(d.deliver(ev(1))).toBe("handled");
    expect(seen).toEqual(["e1"]);
  });

  it("retries with doubling backoff capped at 5 s, then reports once", async () => {
    const waits: number[] = [];
    const failures: DeliveryFailure[] = [];
    let calls = 0;
    const d = new EventDelivery(
      () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      { handlerRetries: 5, retryBackoffMs: 1_000, dedupeWindowMs: 0 },
      { onError: (f) => void failures.push(f) },
      Date.now,
      async (ms) => void waits.push(ms),
    );
    expect(await d.deliver(ev(1))).toBe("failed");
    expect(calls).toBe(6);
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: "handler", attempts: 6, event: ev(1) });
    expect((failures[0].error as Error).message).toBe("fail 6");
  });

  it("succeeds on a retry without reporting", async () => {
    let calls = 0;
    const onError = jest.fn();
    const d = new EventDelivery(
      async () => {
        if (++calls < 3) throw new Error("not yet");
      },
      { handlerRetries: 3, retryBackoffMs: 10, dedupeWindowMs: 0 },
      { onError },
      Date.now,
      noSleep,
    );
    expect(await d.deliver(ev(1))).toBe("handled");
    expect([calls, onError.mock.calls.length]).toEqual([3, 0]);
  });

  it("hands back an abandoned event without retrying or reporting", async () => {
    const onError = jest.fn();
    const d = new EventDelivery(() => Promise.reject(ABANDONED), { handlerRetries: 3, retryBackoffMs: 0, dedupeWindowMs: 0 }, { onError });
    expect(await d.deliver(ev(1))).toBe("abandoned");
    expect(onError).not.toHaveBeenCalled();
  });

  it("never rejects because onError throws, and lets beforeReport veto the acknowledgement", async () => {
    const d = new EventDelivery(() => Promise.reject(new Error("x")), { handlerRetries: 0, retryBackoffMs: 0, dedupeWindowMs: 0 }, {
      onError: () => {
        throw new Error("onError bug");
      },
    });
    expect(await d.deliver(ev(1))).toBe("failed");
    await expect(d.deliver(ev(2), undefined, { beforeReport: () => Promise.reject(new Error("dead-letter topic down")) })).rejects.toThrow(
      "dead-letter topic down",
    );
    await d.undecodable(new Error("bad"));
  });

  it("drops duplicates within the dedupe window only", () => {
    let now = 0;
    const seen: string[] = [];
    const d = new EventDelivery((e) => void seen.push(e.executionId), { handlerRetries: 0, retryBackoffMs: 0, dedupeWindowMs: 1_000 }, {}, () => now);
    expect(d.deliver(ev(1))).toBe("handled");
    now = 500;
    expect(d.deliver(ev(1))).toBe("duplicate");
    expect(d.deliver(ev(2))).toBe("handled");
    now = 1_600;
    expect(d.deliver(ev(1))).toBe("handled");
    expect(seen).toEqual(["e1", "e2", "e1"]);
  });
});

describe("iterateEvents", () => {
  it("acknowledges an event only when the loop asks for the next; hands back the rest when it ends", async () => {
    let push: ((e: JobCompletedEvent) => Promise<void>) | undefined;
    let closed = false;
    const iterable = iterateEvents(async (handler) => {
      push = async (e) => void (await handler(e));
      return { close: async () => void (closed = true) };
    });
    const iterator = iterable[Symbol.asyncIterator]();
    const first = iterator.next();
    while (push === undefined) await new Promise((resolve) => setImmediate(resolve));
    let acked1 = false;
    void push(ev(1)).then(() => (acked1 = true));
    expect((await first).value).toEqual(ev(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(acked1).toBe(false);
    const second = iterator.next();
    const p2 = push(ev(2));
    expect((await second).value).toEqual(ev(2));
    expect(acked1).toBe(true);
    const p3 = push(ev(3)).catch((reason: unknown) => reason);
    const p2handedBack = p2.catch((reason: unknown) => reason);
    await iterator.return(undefined);
    // The loop ended holding event 2: it may not have finished it, so it is not acknowledged.
    expect(await p2handedBack).toBe(ABANDONED);
    expect(await p3).toBe(ABANDONED);
    expect(closed).toBe(true);
  });

  it("ends with the error a subscription reports as fatal", async () => {
    const dead = new Error("consumer crashed");
    const iterable = iterateEvents(async (_handler, fail) => {
      setImmediate(() => fail(dead));
      return { close: async () => undefined };
    });
    await expect(iterable[Symbol.asyncIterator]().next()).rejects.toBe(dead);
  });

  it("ends when the signal aborts, and refuses an aborted signal up front", async () => {
    const controller = new AbortController();
    let closed = false;
    const iterable = iterateEvents(async () => ({ close: async () => void (closed = true) }), controller.signal);
    const pending = iterable[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(closed).toBe(true);
    await expect(iterateEvents(async () => ({ close: async () => undefined }), controller.signal)[Symbol.asyncIterator]().next()).rejects.toBeDefined();
  });
});
