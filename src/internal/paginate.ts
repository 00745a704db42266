import { SchedulerError } from "../errors/scheduler-error.js";

/** One page, as both clients fetch them. */
export interface PageResult<T> {
  items: T[];
  nextPageToken: string;
}

/** Yields every item of every page, fetching a page only when the previous one is consumed. */
export async function* paginate<T>(fetchPage: (pageToken: string) => Promise<PageResult<T>>): AsyncGenerator<T, void> {
  const tokens = new PageTokens();
  let token = "";
  do {
    const page = await fetchPage(token);
    yield* page.items;
    token = tokens.next(page.nextPageToken);
  } while (token !== "");
}

/** Fetches every page and returns all their items, without the async hop per item of draining `paginate`. */
export async function collectPages<T>(fetchPage: (pageToken: string) => Promise<PageResult<T>>): Promise<T[]> {
  const tokens = new PageTokens();
  let all: T[] = [];
  let token = "";
  do {
    const page = await fetchPage(token);
    all = all.length === 0 ? page.items : all.concat(page.items);
    token = tokens.next(page.nextPageToken);
  } while (token !== "");
  return all;
}

/**
 * The page tokens of one listing. A token that comes back a second time means the server is
 * going round in circles: the listing would never end (and an array listing would fill memory
 * until the process dies), so it fails with `SERVER_ERROR` instead.
 */
class PageTokens {
  private readonly seen = new Set<string>();

  next(token: string): string {
    if (token === "") return token;
    if (this.seen.has(token)) {
      throw new SchedulerError(`the server sent page token ${JSON.stringify(token.slice(0, 40))} a second time: the listing would never end`, "SERVER_ERROR");
    }
    this.seen.add(token);
    return token;
  }
}
