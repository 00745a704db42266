/** One page, as both clients fetch them. */
export interface PageResult<T> {
  items: T[];
  nextPageToken: string;
}

/** Yields every item of every page, fetching a page only when the previous one is consumed. */
export async function* paginate<T>(fetchPage: (pageToken: string) => Promise<PageResult<T>>): AsyncGenerator<T, void> {
  let token = "";
  do {
    const page = await fetchPage(token);
    yield* page.items;
    token = page.nextPageToken;
  } while (token !== "");
}

/** Fetches every page and returns all their items, without the async hop per item of draining `paginate`. */
export async function collectPages<T>(fetchPage: (pageToken: string) => Promise<PageResult<T>>): Promise<T[]> {
  let all: T[] = [];
  let token = "";
  do {
    const page = await fetchPage(token);
    all = all.length === 0 ? page.items : all.concat(page.items);
    token = page.nextPageToken;
  } while (token !== "");
  return all;
}
