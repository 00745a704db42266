import { executionContext, LazyAbortController } from "../../src/engine/execution-context.js";
import { newId } from "../../src/engine/ids.js";
import type { Job } from "../../src/types/job.js";

describe("newId", () => {
  it("makes RFC 9562 version-4 UUIDs, all different, across refills of its entropy pool", () => {
    const ids = Array.from({ length: 1_000 }, () => newId()); // the pool holds 128 ids: several refills
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("spreads its random bits: every hex digit shows up in every random position", () => {
    const ids = Array.from({ length: 2_000 }, () => newId().replaceAll("-", ""));
    for (const position of [0, 7, 13, 17, 31]) {
      expect(new Set(ids.map((id) => id[position])).size).toBe(16);
    }
  });
});

describe("LazyAbortController and the execution context", () => {
  const job = { id: "job-1", name: "n" } as Job;

  it("makes no AbortController until the signal is read, and hands the reason to a late reader", () => {
    const controller = new LazyAbortController();
    const reason = new Error("timed out");
    controller.abort(reason);
    controller.abort(new Error("ignored: only the first abort counts"));
    const { signal } = controller;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it("aborts a signal read before the abort", () => {
    const controller = new LazyAbortController();
    const { signal } = controller;
    expect(signal.aborted).toBe(false);
    controller.abort("cancelled");
    expect(signal.reason).toBe("cancelled");
    expect(controller.signal).toBe(signal);
  });

  it("gives the executor job, executionId, attempt and a signal that survives a spread copy", () => {
    const controller = new LazyAbortController();
    const ctx = executionContext(job, "exec-1", 2, controller);
    const copy = { ...ctx };
    controller.abort("stop");
    expect(copy).toMatchObject({ job, executionId: "exec-1", attempt: 2 });
    expect(copy.signal.aborted).toBe(true);
    expect(ctx.signal).toBe(copy.signal);
  });
});
