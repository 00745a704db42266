/** Options every client method takes, last. */
export interface CallOptions {
  /**
   * Aborts the call. An aborted call rejects with `signal.reason` (an `AbortError` `DOMException`
   * unless you passed your own reason), not with a `SchedulerError`.
   */
  signal?: AbortSignal;
  /**
   * Deadline for this call in milliseconds; when it passes the call rejects with a
   * `SchedulerError` whose code is `TIMEOUT`. For `listJobs`/`getExecutions` it covers the
   * whole listing; for `iterateJobs`/`iterateExecutions` each page request.
   * @default the client's `timeoutMs`
   */
  timeoutMs?: number;
}

/** {@link CallOptions} for listings. */
export interface ListOptions extends CallOptions {
  /** Items fetched per page, 1 to 1000. @default 100 */
  pageSize?: number;
}
