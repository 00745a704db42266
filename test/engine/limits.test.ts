import { ManualClock } from "@k1s0/scheduler-client";
import { IdempotencyStore } from "../../src/engine/idempotency-store.js";
import { requestDigest } from "../../src/engine/request-digest.js";
import { encodePageToken } from "../../src/engine/page-token.js";
import { type PageBudget, SchedulerEngine } from "../../src/engine/scheduler-engine.js";
import type { JobExecution } from "../../src/types/execution.js";
import type { JobSpec, StoredJob } from "../../src/types/job-spec.js";

const spec = (name: string, payloadJson = "{}"): JobSpec => ({
  name,
  schedule: { type: "interval", intervalMs: 60_000 },
  payloadJson,
  maxRetries: 0,
  timeoutSecs: 60,
});

/** A budget that counts each item as its name's (or error's) length, and tokens as nothing. */
const byLength = <T>(maxBytes: number, size: (item: T) => number): PageBudget<T> => ({ maxBytes, itemBytes: size, tokenBytes: () => 0 });

describe("engine limits", () => {
  it("refuses a create past maxJobs with RESOURCE_EXHAUSTED naming the limit; an idempotent retry still gets its job", () => {
    const engine = new SchedulerEngine({ clock: new ManualClock(0), maxJobs: 2 });
    const first = engine.createJob({ ...spec("a"), idempotencyKey: "k" });
    engine.createJob(spec("b"));
    expect(() => engine.createJob(spec("c"))).toThrow(
      expect.objectContaining({ code: "RESOURCE_EXHAUSTED", message: expect.stringContaining("maxJobs = 2") }),
    );
    expect(engine.createJob({ ...spec("a"), idempotencyKey: "k" }).id).toBe(first.id);
    // Validation comes first: a bad request is still INVALID_ARGUMENT at the limit.
    expect(() => engine.createJob(spec(""))).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(engine.usage()).toEqual({ jobs: 2, storedBytes: 4, maxJobs: 2, maxStoredBytes: Infinity });
  });

  it("refuses a create whose payload would pass maxStoredBytes (UTF-8 bytes), naming the limit and the sizes", () => {
    const engine = new SchedulerEngine({ clock: new ManualClock(0), maxStoredBytes: 10 });
    engine.createJob(spec("a", '"\u00e9\u00e9"')); // 6 bytes of UTF-8 (4 characters)
    engine.createJob(spec("b", "1234")); // 10 in all: exactly the limit
    const err = (() => {
      try {
        engine.createJob(spec("c", "1"));
      } catch (e) {
        return e as Error & { code: string };
      }
      return undefined;
    })();
    expect(err?.code).toBe("RESOURCE_EXHAUSTED");
    expect(err?.message).toBe("stored payload limit reached: this scheduler holds 10 bytes of job payloads and this 1-byte payload would pass maxStoredBytes = 10");
  });

  it("takes no limit by default, Infinity explicitly, and refuses other values naming the option", () => {
    const clock = new ManualClock(0);
    expect(new SchedulerEngine({ clock }).usage()).toMatchObject({ maxJobs: Infinity, maxStoredBytes: Infinity });
    expect(new SchedulerEngine({ clock, maxJobs: Infinity }).usage().maxJobs).toBe(Infinity);
    for (const [name, value] of [["maxJobs", 0], ["maxJobs", 1.5], ["maxStoredBytes", -1], ["maxStoredBytes", Number.NaN]] as const) {
      expect(() => new SchedulerEngine({ clock, [name]: value })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", field: name, message: expect.stringContaining(String(value)) }),
      );
    }
  });
});

describe("idempotency store", () => {
  it("keeps a fixed-size digest per key, whatever the payload size", () => {
    const big = spec("big", JSON.stringify({ blob: "x".repeat(1_000_000) }));
    const digest = requestDigest(big);
    expect(digest).toHaveLength(44); // SHA-256, base64
    expect(requestDigest(spec("small"))).toHaveLength(44);
    const store = new IdempotencyStore<string>(1_000, "idempotencyKey");
    store.remember("k", requestDigest(big), "job-1", 0);
    // Recognized however an equal request is spelled: key order in the payload.
    expect(store.lookup("k", requestDigest(spec("big", `{ "blob" : ${JSON.stringify("x".repeat(1_000_000))} }`)), 1)).toBe("job-1");
    expect(() => store.lookup("k", requestDigest(spec("big", JSON.stringify({ blob: "y" }))), 1)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "idempotencyKey" }),
    );
    expect(store.size).toBe(1);
    // Forgotten after the window.
    expect(store.lookup("k", requestDigest(spec("other")), 1_000)).toBeUndefined();
    expect(store.size).toBe(0);
    // Remembering drops expired entries too: a store only written to (deleted job ids) stays bounded.
    store.remember("a", "d", "job-a", 2_000);
    store.remember("b", "d", "job-b", 3_000);
    expect(store.size).toBe(1);
  });

  it("tells apart requests that differ only in lone surrogates or payload text JSON cannot parse", () => {
    expect(requestDigest(spec("a\ud800"))).not.toBe(requestDigest(spec("a\udc00")));
    expect(requestDigest(spec("a", "{not json"))).not.toBe(requestDigest(spec("a", "{not json ")));
    expect(requestDigest({ ...spec("a"), schedule: { type: "cron", expression: "0  2 * * *" } })).toBe(
      requestDigest({ ...spec("a"), schedule: { type: "cron", expression: "0 2 * * *", timezone: "UTC" } }),
    );
    expect(requestDigest({ ...spec("a"), schedule: { type: "one_shot", runAt: new Date(5) } })).not.toBe(
      requestDigest({ ...spec("a"), schedule: { type: "one_shot", runAt: new Date(6) } }),
    );
    // The job key, the overlap policy (unset = skip) and the window are part of the request.
    expect(requestDigest({ ...spec("a"), overlap: "skip" })).toBe(requestDigest(spec("a")));
    for (const other of [{ key: "k" }, { overlap: "allow_all" as const }, { startAt: new Date(1) }, { endAt: new Date(1) }]) {
      expect(requestDigest({ ...spec("a"), ...other })).not.toBe(requestDigest(spec("a")));
    }
  });
});

describe("page byte budget", () => {
  it("stops a job page at the budget, never below one job, with a token whenever it stopped short", () => {
    const engine = new SchedulerEngine({ clock: new ManualClock(0) });
    for (const name of ["aaaa", "bbbb", "cccccccccc", "dd", "ee"]) engine.createJob(spec(name));
    const budget = byLength<StoredJob>(8, (j) => j.name.length);
    const names: string[][] = [];
    let token = "";
    do {
      const page = engine.listJobs({}, 100, token, budget);
      names.push(page.items.map((j) => j.name));
      token = page.nextPageToken;
    } while (token !== "");
    // "cccccccccc" alone passes the budget: it still gets a page of its own.
    expect(names).toEqual([["aaaa", "bbbb"], ["cccccccccc"], ["dd", "ee"]]);
    // With a filter, and with the page size still applying.
    const filtered = engine.listJobs({ namePrefix: "d" }, 100, "", budget);
    expect([filtered.items.map((j) => j.name), filtered.nextPageToken]).toEqual([["dd"], ""]);
    const sized = engine.listJobs({}, 1, "", budget);
    expect(sized.items.map((j) => j.name)).toEqual(["aaaa"]);
    expect(engine.listJobs({}, 1, sized.nextPageToken, budget).items.map((j) => j.name)).toEqual(["bbbb"]);
  });

  it("sets aside room for the longest next-page token", () => {
    const engine = new SchedulerEngine({ clock: new ManualClock(0) });
    for (const name of ["aaaa", "bbbb"]) engine.createJob(spec(name));
    // The longest token this listing could issue: base64url of ["jobs::",9007199254740991], 36 characters.
    const longest = encodePageToken("jobs::", Number.MAX_SAFE_INTEGER).length;
    expect(longest).toBe(36);
    const budget: PageBudget<StoredJob> = { maxBytes: 8 + longest - 1, itemBytes: (j) => j.name.length, tokenBytes: (t) => t.length };
    expect(engine.listJobs({}, 100, "", budget).items).toHaveLength(1);
    expect(engine.listJobs({}, 100, "", { ...budget, maxBytes: 8 + longest }).items).toHaveLength(2);
  });

  it("stops an execution page at the budget too, and resumes after the last execution it holds", async () => {
    const clock = new ManualClock(0);
    let n = 0;
    const engine = new SchedulerEngine({
      clock,
      executor: () => {
        n++;
        throw new Error("e".repeat(n % 2 === 0 ? 2 : 5));
      },
    });
    const job = engine.createJob({ ...spec("failing"), schedule: { type: "interval", intervalMs: 10 } });
    await clock.advanceTime(60); // 6 executions: errors of 5, 2, 5, 2, 5, 2 characters
    const budget = byLength<JobExecution>(7, (e) => e.error?.length ?? 0);
    const pages: number[][] = [];
    let token = "";
    do {
      const page = engine.listExecutions(job.id, 100, token, budget);
      pages.push(page.items.map((e) => e.error?.length ?? 0));
      token = page.nextPageToken;
    } while (token !== "");
    expect(pages).toEqual([[5, 2], [5, 2], [5, 2]]);
    // Page size first, budget second.
    const first = engine.listExecutions(job.id, 3, "", byLength<JobExecution>(100, () => 1));
    expect(first.items).toHaveLength(3);
    expect(engine.listExecutions(job.id, 3, first.nextPageToken, byLength<JobExecution>(100, () => 1)).nextPageToken).toBe("");
    expect(engine.listExecutions(job.id, 100, "", byLength<JobExecution>(1, () => 10)).items).toHaveLength(1);
  });
});
