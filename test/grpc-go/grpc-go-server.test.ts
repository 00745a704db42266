/**
 * The public client (`GrpcSchedulerClient`) against a SchedulerService written by nobody on
 * this project: a small in-memory server on grpc-go v1.76.0 (test/grpc-go/server, built by
 * scripts/go-scheduler-server.sh), started per scenario with the transport knobs the scenario is
 * about - routine GOAWAYs (max connection age), a small MAX_CONCURRENT_STREAMS, grpc-go's
 * keepalive enforcement, gzip responses, pages near a byte budget, slow answers.
 *
 * The assertions state what a correct gRPC client does (for example gRFC A6: a stream the
 * server never processed - refused, or above a GOAWAY's last stream id - is retried
 * transparently, even with retries off). Each scenario prints its figures (calls, failures, what
 * the server saw) with console.log.
 *
 * Needs Go. Without it the suite fails when `CI` is set and is skipped, with a message, otherwise.
 */
import { GrpcSchedulerClient, type GrpcSchedulerClientOptions, type Job, SchedulerError } from "@k1s0/scheduler-client";
import { buildGoServer, GoServer, type GoServerKnobs, type GoServerStats } from "./go-server.js";

const build = buildGoServer();
// CI is "set" as CI systems set it (CI=true, CI=1, ...); CI=false or CI=0 does not count.
const inCI = !["", "0", "false"].includes((process.env.CI ?? "").toLowerCase());
const skipReason = "noGo" in build && !inCI ? build.noGo : undefined;
if (skipReason !== undefined) {
  console.warn(`test/grpc-go: SKIPPED - no Go toolchain, so the grpc-go SchedulerService server cannot be built (with CI set this fails).\n${skipReason}`);
}
const describeGo = skipReason === undefined ? describe : describe.skip;

function binary(): string {
  if ("binary" in build) return build.binary;
  throw new Error("noGo" in build ? `CI needs Go for test/grpc-go: ${build.noGo}` : build.failure);
}

/** One server per scenario, stopped in afterAll whatever happened. */
function useServer(knobs: GoServerKnobs): () => GoServer {
  let server: GoServer | undefined;
  beforeAll(async () => {
    server = await GoServer.start(binary(), knobs);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return () => {
    if (server === undefined) throw new Error("the Go server did not start");
    return server;
  };
}

/** Clients made in a test, closed in afterEach whatever happened. */
const clients: GrpcSchedulerClient[] = [];
function newClient(server: GoServer, options?: GrpcSchedulerClientOptions): GrpcSchedulerClient {
  const client = new GrpcSchedulerClient(server.url, options);
  clients.push(client);
  return client;
}
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

/** Counts outcomes; failures are grouped by "CODE: message". */
class Tally {
  calls = 0;
  failures = 0;
  readonly errors = new Map<string, number>();
  /** Failures that were not SchedulerErrors (a client bug whatever the server did). */
  notSchedulerErrors = 0;

  record(err?: unknown): void {
    this.calls++;
    if (err === undefined) return;
    this.failures++;
    if (!(err instanceof SchedulerError)) this.notSchedulerErrors++;
    const key = (err instanceof SchedulerError ? `${err.code}: ${err.message}` : err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${typeof err}`).slice(0, 160);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  async run(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
      this.record();
    } catch (err) {
      this.record(err);
    }
  }

  summary(): { calls: number; failures: number; errors: Record<string, number> } {
    return { calls: this.calls, failures: this.failures, errors: Object.fromEntries(this.errors) };
  }
}

/** The difference of two stats snapshots (what one scenario made the server see). */
function delta(before: GoServerStats, after: GoServerStats): Partial<GoServerStats> {
  const sub = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(a).flatMap(([k, v]): [string, number][] => (v === (b[k] ?? 0) ? [] : [[k, v - (b[k] ?? 0)]])));
  return {
    calls: sub(after.calls, before.calls),
    results: sub(after.results, before.results),
    connectionsOpened: after.connectionsOpened - before.connectionsOpened,
    connectionsClosed: after.connectionsClosed - before.connectionsClosed,
    goAwaysSent: sub(after.goAwaysSent, before.goAwaysSent),
    rstStreamsSent: sub(after.rstStreamsSent, before.rstStreamsSent),
    pingsReceived: after.pingsReceived - before.pingsReceived,
    gzipResponses: after.gzipResponses - before.gzipResponses,
  };
}

function report(scenario: string, figures: unknown): void {
  console.log(`[grpc-go] ${scenario}\n${JSON.stringify(figures, null, 2)}`);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

/**
 * Keeps between `min` and `max` calls in flight (a new target every 250 ms) for `durationMs`,
 * then waits for the last ones.
 */
async function drive(durationMs: number, min: number, max: number, call: () => Promise<unknown>, tally: Tally): Promise<{ maxInFlight: number }> {
  let inFlight = 0;
  let maxInFlight = 0;
  let target = max;
  const end = Date.now() + durationMs;
  return new Promise((resolve) => {
    const pump = (): void => {
      if (Date.now() >= end) {
        if (inFlight === 0) {
          clearInterval(retarget);
          resolve({ maxInFlight });
        }
        return;
      }
      while (inFlight < target) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        void tally.run(call).then(() => {
          inFlight--;
          pump();
        });
      }
    };
    const retarget = setInterval(() => {
      target = min + Math.floor(Math.random() * (max - min + 1));
      pump();
    }, 250);
    pump();
  });
}

const CRON = { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" } as const;

describeGo("GrpcSchedulerClient against a grpc-go SchedulerService", () => {
  describe("a. the seven operations end to end, and errors from the ErrorDetail", () => {
    const server = useServer({});

    it("creates, reads, lists in pages, pauses, resumes, cancels and lists executions", async () => {
      const client = newClient(server());
      const before = await server().stats();

      const cron = await client.createJob({ name: "go-daily-report", schedule: CRON, payload: { report_type: "daily", tenant_id: "TENANT-001" }, maxRetries: 3, timeoutSecs: 300 });
      expect(cron).toMatchObject({ name: "go-daily-report", status: "pending", schedule: CRON, payload: { report_type: "daily", tenant_id: "TENANT-001" }, maxRetries: 3, timeoutSecs: 300 });
      expect(cron.id).toMatch(/^[0-9a-f-]{36}$/);
      // 02:00 in Tokyo is 17:00 UTC.
      expect([cron.nextRunAt?.getUTCHours(), cron.nextRunAt?.getUTCMinutes()]).toEqual([17, 0]);
      const interval = await client.createJob({ name: "go-health-sync", schedule: { type: "interval", intervalMs: 60_000 }, payload: null });
      expect(interval).toMatchObject({ status: "pending", maxRetries: 0, timeoutSecs: 60, payload: null });
      expect(interval.nextRunAt!.getTime() - interval.createdAt.getTime()).toBe(60_000);
      const runAt = new Date(Date.now() + 3_600_000);
      const oneShot = await client.createJob({ name: "go-send-reminder", schedule: { type: "one_shot", runAt }, payload: ["a", 1, true] });
      expect(oneShot.nextRunAt).toEqual(runAt);

      expect(await client.getJob(cron.id)).toEqual(cron);

      const paged: Job[] = [];
      for (let i = 0; i < 5; i++) paged.push(await client.createJob({ name: `go-page-${i}`, schedule: { type: "interval", intervalMs: 1000 * (i + 1) }, payload: { i } }));
      const listed = await client.listJobs({ namePrefix: "go-page-" }, { pageSize: 2 });
      expect(listed.map((j) => j.id)).toEqual(paged.map((j) => j.id));
      const iterated: string[] = [];
      for await (const job of client.iterateJobs({}, { pageSize: 3 })) iterated.push(job.name);
      expect(iterated).toEqual(["go-daily-report", "go-health-sync", "go-send-reminder", ...paged.map((j) => j.name)]);

      await client.pauseJob(cron.id);
      const paused = await client.getJob(cron.id);
      expect(paused.status).toBe("paused");
      expect(paused.nextRunAt).toBeUndefined();
      await client.pauseJob(cron.id); // a no-op
      expect((await client.listJobs({ status: "paused" })).map((j) => j.id)).toEqual([cron.id]);
      await client.resumeJob(cron.id);
      const resumed = await client.getJob(cron.id);
      expect(resumed.status).toBe("pending");
      expect(resumed.nextRunAt?.getUTCHours()).toBe(17);
      await client.cancelJob(cron.id);
      await client.cancelJob(cron.id); // a no-op
      expect((await client.getJob(cron.id)).status).toBe("cancelled");
      const invalidState = await rejection(client.pauseJob(cron.id));
      expect(invalidState).toMatchObject({ name: "SchedulerError", code: "INVALID_STATE", field: "jobId" });

      expect(await client.getExecutions(interval.id)).toEqual([]);
      const executions: unknown[] = [];
      for await (const e of client.iterateExecutions(interval.id, { pageSize: 10 })) executions.push(e);
      expect(executions).toEqual([]);

      const seen = delta(before, await server().stats());
      report("a. seven operations", { server: seen });
      // 2 pages of 2 and one of 1 for the prefix listing, 3 pages of 3 for the full one, 1 for "paused".
      expect(seen.calls?.ListJobs).toBe(3 + 3 + 1);
    });

    it("maps JOB_NOT_FOUND (and the other reasons) from the ErrorDetail, not from the status or the text", async () => {
      const client = newClient(server());
      const codes: Record<string, unknown> = {};
      for (const [name, call] of [
        ["getJob", () => client.getJob("no-such-job")],
        ["pauseJob", () => client.pauseJob("no-such-job")],
        ["resumeJob", () => client.resumeJob("no-such-job")],
        ["cancelJob", () => client.cancelJob("no-such-job")],
        ["getExecutions", () => client.getExecutions("no-such-job")],
      ] as const) {
        const err = await rejection(call());
        expect(err).toBeInstanceOf(SchedulerError);
        // The field comes only from the ErrorDetail; the message is the server's own text,
        // without the "[not_found]" prefix a status-only error gets.
        expect(err).toMatchObject({ code: "JOB_NOT_FOUND", field: "jobId", message: "job no-such-job not found" });
        codes[name] = (err as SchedulerError).code;
      }

      const request = { name: "go-idempotent", schedule: CRON, payload: { n: 1 }, idempotencyKey: "go-key-1" };
      const first = await client.createJob(request);
      const again = await client.createJob(request);
      expect(again.id).toBe(first.id);
      const reused = await rejection(client.createJob({ ...request, name: "go-something-else" }));
      expect(reused).toMatchObject({ code: "INVALID_ARGUMENT", field: "idempotencyKey", message: "idempotencyKey was already used for a different request" });
      report("a. errors", { notFound: codes, idempotencyKeyReuse: (reused as SchedulerError).code });
    });
  });

  describe("a2. a server that implements only the 0.1.0 operations (as this one does)", () => {
    const server = useServer({});

    it("answers the 0.2.0 operations with SERVER_ERROR (UNIMPLEMENTED) and its jobs read with the defaults", async () => {
      const client = newClient(server(), { retry: false });
      const job = await client.createJob({ name: "go-old", schedule: CRON, payload: null, key: "ignored-by-an-old-server", overlap: "allow_all" });
      // Fields an old server does not know are dropped: no key, overlap unspecified = skip.
      expect(job.key).toBeUndefined();
      expect(job.overlap).toBe("skip");
      for (const call of [
        () => client.ensureJob({ name: "go-old", schedule: CRON, payload: null, key: "k" }),
        () => client.updateJob(job.id, { name: "x" }),
        () => client.triggerJob(job.id),
        () => client.deleteJob(job.id),
        () => client.getUpcomingFires(job.id),
      ]) {
        const err = await rejection(call());
        expect(err).toBeInstanceOf(SchedulerError);
        expect((err as SchedulerError).code).toBe("SERVER_ERROR");
        expect((err as SchedulerError).message).toMatch(/unimplemented|not implemented/i);
      }
    });
  });

  describe("b. routine GOAWAYs (max connection age 200 ms, grace 5 s)", () => {
    const server = useServer({ maxConnectionAge: "200ms", maxConnectionAgeGrace: "5s", seedJobs: 1 });

    it("thousands of getJob calls, 16-32 in flight for 5 s, retries off: no failures (gRFC A6 transparent retry)", async () => {
      const [seeded] = await newClient(server()).listJobs();
      const client = newClient(server(), { retry: false });
      const tally = new Tally();
      const before = await server().stats();
      const started = Date.now();
      const { maxInFlight } = await drive(5_000, 16, 32, () => client.getJob(seeded.id), tally);
      const seen = delta(before, await server().stats());
      report("b. GOAWAY every ~200 ms", { ...tally.summary(), maxInFlight, elapsedMs: Date.now() - started, server: seen });
      expect(tally.calls).toBeGreaterThan(1_000);
      expect(seen.connectionsOpened).toBeGreaterThan(5); // the GOAWAYs did happen
      expect({ failures: tally.failures, errors: tally.summary().errors }).toEqual({ failures: 0, errors: {} });
    }, 60_000);
  });

  describe("c. MAX_CONCURRENT_STREAMS 10", () => {
    const server = useServer({ maxConcurrentStreams: 10, seedJobs: 1 });

    it("a fresh client firing 1,000 getJob calls at once, retries off: no failures (refused streams are retried transparently)", async () => {
      const [seeded] = await newClient(server()).listJobs();
      const rounds: unknown[] = [];
      const failures: { failures: number; errors: Record<string, number> }[] = [];
      for (let round = 1; round <= 3; round++) {
        const client = newClient(server(), { retry: false });
        const tally = new Tally();
        const before = await server().stats();
        const started = Date.now();
        await Promise.all(Array.from({ length: 1_000 }, () => tally.run(() => client.getJob(seeded.id))));
        const seen = delta(before, await server().stats());
        rounds.push({ round, ...tally.summary(), elapsedMs: Date.now() - started, server: seen });
        failures.push({ failures: tally.failures, errors: tally.summary().errors });
        await client.close();
      }
      report("c. 1,000 calls at once on a fresh connection, MAX_CONCURRENT_STREAMS 10", rounds);
      expect(failures).toEqual(Array.from({ length: 3 }, () => ({ failures: 0, errors: {} })));
    }, 120_000);
  });

  describe("d. keepalive enforcement at grpc-go's defaults (MinTime 5 min, PermitWithoutStream false)", () => {
    // Only GetJob is slow, so a quick ListJobs shows whether the client recovers afterwards.
    const server = useServer({ keepaliveMinTime: "5m", delay: "5s", delayMethods: ["GetJob"], seedJobs: 1 });

    it("a client PINGing every second during 5 s calls: calls succeed or fail cleanly, the client recovers", async () => {
      const [seeded] = await newClient(server()).listJobs();
      const client = newClient(server(), { keepalive: { pingIntervalMs: 1_000 }, timeoutMs: 15_000 });
      const tally = new Tally();
      /** Four slow calls at once; what happened to each. */
      const slowRound = async (): Promise<unknown> => {
        const before = await server().stats();
        const started = Date.now();
        const outcomes = await Promise.all(
          Array.from({ length: 4 }, async () => {
            const t0 = Date.now();
            try {
              await client.getJob(seeded.id);
              tally.record();
              return `ok after ${Date.now() - t0} ms`;
            } catch (err) {
              tally.record(err);
              const e = err as SchedulerError;
              return `${e?.name} ${e?.code} after ${Date.now() - t0} ms: ${e?.message}`;
            }
          }),
        );
        return { outcomes, elapsedMs: Date.now() - started, server: delta(before, await server().stats()) };
      };
      /** A quick call on the same client: a GOAWAY'd connection must have been replaced. */
      const quickCall = async (): Promise<unknown> => {
        try {
          return { ok: true, jobs: (await client.listJobs()).length };
        } catch (err) {
          return { ok: false, code: (err as SchedulerError).code, message: (err as Error).message };
        }
      };
      const round1 = await slowRound();
      const quick1 = await quickCall();
      // A second round on the same client: gRFC A8 has a client double its PING interval for new
      // connections after a "too_many_pings" GOAWAY; one that does not is sent away again.
      const round2 = await slowRound();
      const quick2 = await quickCall();
      report("d. keepalive PINGs every 1 s against MinTime 5 min", { round1, quick1, round2, quick2, serverAlive: server().alive });
      expect(tally.notSchedulerErrors).toBe(0);
      expect([quick1, quick2]).toEqual([{ ok: true, jobs: 1 }, { ok: true, jobs: 1 }]);
      expect(server().alive).toBe(true);
    }, 90_000);
  });

  describe("e. gzip-compressed responses", () => {
    const server = useServer({ gzip: true, seedJobs: 40, payloadBytes: 20_000 });

    it("listJobs and getJob read gzip responses", async () => {
      const client = newClient(server());
      const before = await server().stats();
      const jobs = await client.listJobs({}, { pageSize: 15 });
      expect(jobs.map((j) => j.name)).toEqual(Array.from({ length: 40 }, (_, i) => `seed-${String(i).padStart(4, "0")}`));
      expect(JSON.stringify(jobs[39].payload).length).toBeGreaterThan(19_000);
      expect(await client.getJob(jobs[7].id)).toEqual(jobs[7]);
      const seen = delta(before, await server().stats());
      report("e. gzip", { jobs: jobs.length, server: seen });
      expect(seen.gzipResponses).toBe(4); // 3 pages and the getJob
    });
  });

  describe("f. pages near a byte budget (18 jobs of ~1 MB: an ~18 MB page at the default page size)", () => {
    const server = useServer({ seedJobs: 18, payloadBytes: 1_048_000 });

    it("listJobs returns all 18 jobs, or fails once with RESOURCE_EXHAUSTED without retrying", async () => {
      const client = newClient(server(), { timeoutMs: 30_000 });
      const before = await server().stats();
      const started = Date.now();
      let jobs: Job[] | undefined;
      let error: unknown;
      try {
        jobs = await client.listJobs();
      } catch (err) {
        error = err;
      }
      const seen = delta(before, await server().stats());
      const listRequests = seen.calls?.ListJobs ?? 0;
      report("f. ~18 MB listing at the default page size", {
        outcome: jobs !== undefined ? `${jobs.length} jobs` : `${(error as SchedulerError)?.code}: ${(error as Error)?.message}`,
        listRequests,
        elapsedMs: Date.now() - started,
        server: seen,
      });
      if (jobs !== undefined) {
        expect(jobs).toHaveLength(18);
        expect(jobs.every((j) => JSON.stringify(j.payload).length >= 1_047_000)).toBe(true);
      } else {
        expect({ error, code: (error as SchedulerError).code, listRequests }).toEqual({ error: expect.any(SchedulerError), code: "RESOURCE_EXHAUSTED", listRequests: 1 });
      }
    }, 60_000);

    describe("with a server-side page budget of 15 MiB", () => {
      const budgeted = useServer({ seedJobs: 18, payloadBytes: 1_048_000, maxPageBytes: 15 * 1024 * 1024 });

      it("listJobs reads pages just under the client's 16 MiB limit: all 18 jobs in 2 requests", async () => {
        const client = newClient(budgeted(), { timeoutMs: 30_000 });
        const before = await budgeted().stats();
        const jobs = await client.listJobs();
        const seen = delta(before, await budgeted().stats());
        report("f. ~18 MB listing, 15 MiB page budget", { jobs: jobs.length, server: seen });
        expect(jobs).toHaveLength(18);
        expect(seen.calls?.ListJobs).toBe(2);
      }, 60_000);
    });
  });

  describe("g. delayed answers (every call waits 2 s on the server)", () => {
    const server = useServer({ delay: "2s", seedJobs: 1 });

    it("a call with timeoutMs 300 fails with TIMEOUT promptly; one with enough time succeeds", async () => {
      const client = newClient(server());
      const [seeded] = await client.listJobs({}, { timeoutMs: 10_000 });
      const before = await server().stats();

      let t0 = Date.now();
      const timedOut = await rejection(client.getJob(seeded.id, { timeoutMs: 300 }));
      const timedOutMs = Date.now() - t0;
      t0 = Date.now();
      const listTimedOut = await rejection(client.listJobs({}, { timeoutMs: 300 }));
      const listTimedOutMs = Date.now() - t0;
      t0 = Date.now();
      const job = await client.getJob(seeded.id, { timeoutMs: 5_000 });
      const okMs = Date.now() - t0;

      // The server gives up on the timed-out calls (the client's RST_STREAM CANCEL, or the
      // grpc-timeout deadline, whichever it notices first): it never answers them.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const seen = delta(before, await server().stats());
      report("g. --delay=2s", {
        timeout300: { code: (timedOut as SchedulerError).code, ms: timedOutMs },
        listTimeout300: { code: (listTimedOut as SchedulerError).code, ms: listTimedOutMs },
        timeout5000: { ok: job.id === seeded.id, ms: okMs },
        server: seen,
      });
      expect(timedOut).toMatchObject({ name: "SchedulerError", code: "TIMEOUT" });
      expect(listTimedOut).toMatchObject({ name: "SchedulerError", code: "TIMEOUT" });
      expect(timedOutMs).toBeLessThan(1_500);
      expect(listTimedOutMs).toBeLessThan(1_500);
      expect(job.id).toBe(seeded.id);
      expect(okMs).toBeGreaterThanOrEqual(1_900);
      expect((seen.results?.Canceled ?? 0) + (seen.results?.DeadlineExceeded ?? 0)).toBe(2);
    }, 30_000);
  });
});

// When the suite cannot run in CI, say so as a failing test rather than an empty file.
if (skipReason === undefined && !("binary" in build)) {
  it("builds the grpc-go server", () => {
    binary();
  });
}
