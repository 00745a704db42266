/**
 * A promise rejected with `err` exactly as it was thrown, for functions that return a promise
 * without being async (no wrapper per call) yet must report synchronous failures as rejections.
 */
export function rejected<T>(err: unknown): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what was thrown, unchanged.
  return Promise.reject(err);
}
