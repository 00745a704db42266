import type { Job } from "@k1s0/scheduler-client";
import type { HarnessFactory } from "./harness.js";
import { interval, MINUTE, oneShot, rejection, SECOND, START, useFixture } from "./setup.js";

/** listJobs/iterateJobs filters and paging; getExecutions/iterateExecutions paging. */
export function listingContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  async function createMany(prefix: string, n: number): Promise<Job[]> {
    const jobs: Job[] = [];
    for (let i = 0; i < n; i++) jobs.push(await f.h.client.createJob(interval(`${prefix}-${i}`)));
    return jobs;
  }

  it("lists every job, oldest first, across page boundaries", async () => {
    const jobs = await createMany("job", 7);
    for (const pageSize of [1, 2, 3, 7, 100]) {
      expect((await f.h.client.listJobs({}, { pageSize })).map((j) => j.id)).toEqual(jobs.map((j) => j.id));
    }
    expect(await f.h.client.listJobs()).toEqual(jobs);
  });

  it("filters by status and name prefix, with paging over the matches", async () => {
    const reports = await createMany("report", 5);
    await createMany("sync", 3);
    await f.h.client.pauseJob(reports[1].id);
    await f.h.client.pauseJob(reports[3].id);
    const paused = await f.h.client.listJobs({ status: "paused" }, { pageSize: 1 });
    expect(paused.map((j) => j.name)).toEqual(["report-1", "report-3"]);
    const pendingReports = await f.h.client.listJobs({ status: "pending", namePrefix: "report-" }, { pageSize: 2 });
    expect(pendingReports.map((j) => j.name)).toEqual(["report-0", "report-2", "report-4"]);
    expect(await f.h.client.listJobs({ namePrefix: "Report" })).toEqual([]);
    expect((await f.h.client.listJobs({ status: "running" })).length).toBe(0);
  });

  it("fetches pages lazily, as the loop consumes them, and can stop early", async () => {
    await createMany("lazy", 3);
    const seen: string[] = [];
    for await (const job of f.h.client.iterateJobs({ namePrefix: "lazy" }, { pageSize: 2 })) {
      seen.push(job.name);
      // A job created after the first page was fetched shows up on a later page only if that
      // page is fetched after this point, i.e. lazily.
      if (seen.length === 1) await f.h.client.createJob(interval("lazy-late"));
      if (seen.length === 4) break;
    }
    expect(seen).toEqual(["lazy-0", "lazy-1", "lazy-2", "lazy-late"]);
  });

  it("pages through executions oldest first", async () => {
    const job = await f.h.client.createJob(interval("pages", SECOND));
    await f.h.advanceTime(7 * SECOND);
    const all = await f.h.client.getExecutions(job.id, { pageSize: 3 });
    expect(all.map((e) => e.startedAt.getTime() - START.getTime())).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => n * SECOND));
    const iterated = [];
    for await (const e of f.h.client.iterateExecutions(job.id, { pageSize: 2 })) iterated.push(e);
    expect(iterated).toEqual(all);
  });

  it("returns an empty execution list for a job that has not fired", async () => {
    const job = await f.h.client.createJob(oneShot("later", new Date(START.getTime() + MINUTE)));
    expect(await f.h.client.getExecutions(job.id)).toEqual([]);
  });

  it("rejects a bad execution listing before it starts", async () => {
    const err = await rejection(f.h.client.getExecutions(""));
    expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "jobId"]);
  });
}
