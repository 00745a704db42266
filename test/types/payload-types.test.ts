/**
 * Payload types checked at compile time (ts-jest type-checks this file: a line marked
 * `@ts-expect-error` that compiles fails the test run), and the same calls at run time.
 */
import { InMemorySchedulerClient, type Job, type JsonValue } from "@k1s0/scheduler-client";

interface ReportPayload {
  tenant: string;
  days?: number;
  tags: string[];
}

describe("typed payloads", () => {
  const client = new InMemorySchedulerClient({ clock: "manual" });
  afterAll(() => client.close());
  const schedule = { type: "interval" as const, intervalMs: 60_000 };

  it("carries an interface's payload type from createJob to the job, and getJob<P> states it", async () => {
    const job: Job<ReportPayload> = await client.createJob<ReportPayload>({ name: "typed", schedule, payload: { tenant: "T-1", tags: ["a"] } });
    const tenant: string = job.payload.tenant; // no cast needed
    expect(tenant).toBe("T-1");
    const read = await client.getJob<ReportPayload>(job.id);
    expect(read.payload.tags).toEqual(["a"]);
    const json: JsonValue = { nested: [1, "two", null, { ok: true }] };
    expect((await client.createJob({ name: "json", schedule, payload: json })).payload).toEqual(json);
  });

  it("refuses payloads JSON would change, in the editor (and at run time)", async () => {
    const attempts = [
      // @ts-expect-error a Date is not JSON
      () => client.createJob({ name: "d", schedule, payload: { at: new Date() } }),
      // @ts-expect-error a Map is not JSON
      () => client.createJob({ name: "m", schedule, payload: { m: new Map<string, number>() } }),
      // @ts-expect-error a function is not JSON
      () => client.createJob({ name: "f", schedule, payload: { f: () => 1 } }),
      // @ts-expect-error a bigint is not JSON
      () => client.updateJob("x", { payload: { n: 1n } }),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toMatchObject({ code: expect.stringMatching(/INVALID_ARGUMENT|JOB_NOT_FOUND/) });
  });

  it("keeps unknown payloads (code that names no type) as they were: checked at run time only", async () => {
    const fromSomewhere: unknown = JSON.parse('{"a":1}');
    expect((await client.createJob({ name: "u", schedule, payload: fromSomewhere })).payload).toEqual({ a: 1 });
  });
});
