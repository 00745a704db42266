import { SchedulerError } from "@k1s0/scheduler-client";
import { collectPages, paginate } from "../../src/internal/paginate.js";

/** A server that sends the same next-page token for ever (after `before` good pages). */
const circular = (before: number) => {
  let pages = 0;
  return async (token: string) => {
    pages++;
    return { items: [pages], nextPageToken: pages <= before ? `t${pages}` : token === "" ? "loop" : "t1" };
  };
};

describe("page tokens", () => {
  it("ends a listing whose server repeats a page token with SERVER_ERROR instead of looping for ever", async () => {
    const err = (await collectPages(circular(3)).catch((e: unknown) => e)) as SchedulerError;
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err.code).toBe("SERVER_ERROR");
    expect(err.message).toMatch(/page token "t1" a second time/);

    const seen: number[] = [];
    const iterate = async () => {
      for await (const item of paginate(circular(2))) seen.push(item);
    };
    await expect(iterate()).rejects.toMatchObject({ code: "SERVER_ERROR" });
    expect(seen).toEqual([1, 2, 3]);
  });

  it("follows distinct tokens to the empty one", async () => {
    const pages: Record<string, { items: number[]; nextPageToken: string }> = { "": { items: [1], nextPageToken: "a" }, a: { items: [2, 3], nextPageToken: "b" }, b: { items: [], nextPageToken: "" } };
    expect(await collectPages(async (t) => pages[t])).toEqual([1, 2, 3]);
  });
});
