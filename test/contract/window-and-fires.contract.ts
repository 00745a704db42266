import type { HarnessFactory } from "./harness.js";
import { HOUR, interval, MINUTE, oneShot, rejection, START, useFixture } from "./setup.js";

const at = (ms: number): Date => new Date(START.getTime() + ms);

/** The active window (startAt, endAt) and getUpcomingFires. */
export function windowAndFiresContract(factory: HarnessFactory): void {
  const f = useFixture(factory);

  describe("active window", () => {
    it("fires an interval job only inside the window, counted from startAt, then completes it", async () => {
      const job = await f.h.client.createJob(interval("windowed", 10 * MINUTE, { startAt: at(HOUR), endAt: at(HOUR + 30 * MINUTE) }));
      expect(job).toMatchObject({ status: "pending", startAt: at(HOUR), endAt: at(HOUR + 30 * MINUTE), nextRunAt: at(HOUR + 10 * MINUTE) });
      expect(await f.h.client.getUpcomingFires(job.id, 5)).toEqual([at(HOUR + 10 * MINUTE), at(HOUR + 20 * MINUTE), at(HOUR + 30 * MINUTE)]);
      await f.h.advanceTime(3 * HOUR);
      expect((await f.h.client.getExecutions(job.id)).map((e) => e.startedAt)).toEqual([
        at(HOUR + 10 * MINUTE),
        at(HOUR + 20 * MINUTE),
        at(HOUR + 30 * MINUTE),
      ]);
      const ended = await f.h.client.getJob(job.id);
      expect(ended.status).toBe("completed");
      expect(ended.nextRunAt).toBeUndefined();
      expect(await f.h.client.getUpcomingFires(job.id)).toEqual([]);
    });

    it("starts a cron job at its first match at or after startAt", async () => {
      const job = await f.h.client.createJob({
        name: "hourly",
        schedule: { type: "cron", expression: "0 * * * *" },
        payload: null,
        startAt: new Date("2040-03-10T14:00:00Z"),
      });
      expect(job.nextRunAt).toEqual(new Date("2040-03-10T14:00:00Z"));
    });

    it("completes a job paused past its window when it is resumed", async () => {
      const job = await f.h.client.createJob(interval("late", 10 * MINUTE, { endAt: at(HOUR) }));
      await f.h.client.pauseJob(job.id);
      await f.h.advanceTime(2 * HOUR);
      await f.h.client.resumeJob(job.id);
      expect(await f.h.client.getJob(job.id)).toMatchObject({ status: "completed" });
      expect(await f.h.client.getExecutions(job.id)).toEqual([]);
    });

    it("rejects a window on a one-shot, an end before the start, and a window without a fire", async () => {
      const cases = [
        [oneShot("x", at(HOUR), { startAt: at(0) }), "startAt", "cron and interval"],
        [interval("x", MINUTE, { startAt: at(HOUR), endAt: at(HOUR) }), "endAt", "after startAt"],
        [{ name: "x", schedule: { type: "cron" as const, expression: "0 2 * * *" }, payload: null, endAt: at(HOUR) }, "endAt", "leaves no fire"],
        [interval("x", MINUTE, { endAt: at(-HOUR) }), "endAt", "leaves no fire"],
        [interval("x", MINUTE, { startAt: "tomorrow" as unknown as Date }), "startAt", '"tomorrow"'],
      ] as const;
      for (const [request, field, shown] of cases) {
        const err = await rejection(f.h.client.createJob(request));
        expect([err.code, err.field]).toEqual(["INVALID_SCHEDULE", field]);
        expect(err.message).toContain(shown);
      }
      expect(await f.h.client.listJobs()).toEqual([]);
    });
  });

  describe("getUpcomingFires", () => {
    it("computes cron fires in the job's time zone, daylight saving time included", async () => {
      const job = await f.h.client.createJob({
        name: "dst",
        schedule: { type: "cron", expression: "30 2 * * *", timezone: "America/New_York" },
        payload: null,
      });
      expect(await f.h.client.getUpcomingFires(job.id, 3)).toEqual([
        new Date("2040-03-11T07:00:00Z"), // 02:30 does not exist that day: 03:00 EDT
        new Date("2040-03-12T06:30:00Z"),
        new Date("2040-03-13T06:30:00Z"),
      ]);
      expect(await f.h.client.getUpcomingFires(job.id)).toHaveLength(10);
    });

    it("has none while paused, and a one-shot's single fire until it has run", async () => {
      const every = await f.h.client.createJob(interval("every", MINUTE));
      await f.h.client.pauseJob(every.id);
      expect(await f.h.client.getUpcomingFires(every.id)).toEqual([]);
      await f.h.client.resumeJob(every.id);
      expect(await f.h.client.getUpcomingFires(every.id, 2)).toEqual([at(MINUTE), at(2 * MINUTE)]);
      const shot = await f.h.client.createJob(oneShot("shot", at(HOUR)));
      expect(await f.h.client.getUpcomingFires(shot.id, 5)).toEqual([at(HOUR)]);
      await f.h.advanceTime(HOUR);
      expect(await f.h.client.getUpcomingFires(shot.id, 5)).toEqual([]);
    });

    it("rejects a count outside 1..100 naming the field and the value", async () => {
      const job = await f.h.client.createJob(interval("x"));
      for (const count of [0, 101, 1.5, -1]) {
        const err = await rejection(f.h.client.getUpcomingFires(job.id, count));
        expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "count"]);
        expect(err.message).toBe(`count must be a whole number from 1 to 100, got ${count}`);
      }
      expect(await f.h.client.getUpcomingFires(job.id, 100)).toHaveLength(100);
    });
  });
}
