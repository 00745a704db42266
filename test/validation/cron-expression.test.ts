import { compileCron, isKnownTimeZone, nextCronFire } from "../../src/schedule/cron-expression.js";

const at = (iso: string) => new Date(iso).getTime();

describe("cron expressions", () => {
  it("fires a time repeated by a fall-back day once, at its first occurrence", () => {
    // 2040-11-04: 01:00-02:00 happens twice in New York.
    const first = nextCronFire("30 1 * * *", "America/New_York", at("2040-11-03T12:00:00Z"));
    expect(new Date(first!).toISOString()).toBe("2040-11-04T05:30:00.000Z");
    const next = nextCronFire("30 1 * * *", "America/New_York", first!);
    expect(new Date(next!).toISOString()).toBe("2040-11-05T06:30:00.000Z");
  });

  it("supports seconds, nicknames and ranges", () => {
    expect(nextCronFire("*/10 * * * * *", "UTC", at("2040-01-01T00:00:01Z"))).toBe(at("2040-01-01T00:00:10Z"));
    expect(nextCronFire("@daily", "UTC", at("2040-01-01T00:00:01Z"))).toBe(at("2040-01-02T00:00:00Z"));
    expect(nextCronFire("0 9 * * MON-FRI", "Asia/Tokyo", at("2040-01-06T00:00:00Z"))).toBe(at("2040-01-09T00:00:00Z"));
  });

  it("shares one parsed expression per (expression, zone) and stays bounded", () => {
    expect(compileCron("0 2 * * *", "UTC")).toBe(compileCron("0 2 * * *", "UTC"));
    expect(compileCron("0 2 * * *", "UTC")).not.toBe(compileCron("0 2 * * *", "Asia/Tokyo"));
    const first = compileCron("0 0 1 1 *", "UTC");
    for (let m = 0; m < 1100; m++) compileCron(`${m % 60} ${Math.floor(m / 60) % 24} * * *`, "Europe/Paris");
    expect(compileCron("0 0 1 1 *", "UTC")).not.toBe(first);
  });

  it("knows IANA zones and refuses offsets and garbage", () => {
    expect(["UTC", "Asia/Tokyo", "America/Argentina/Buenos_Aires", "Etc/GMT+9"].every(isKnownTimeZone)).toBe(true);
    expect(["", "+09:00", "Mars/Base", "Asia/Tokyo ", "../etc"].some(isKnownTimeZone)).toBe(false);
  });
});
