/** Limits and defaults of the request rules, shared by client-side and server-side validation. */
export const LIMITS = {
  /** Longest job name, in characters. */
  nameMaxLength: 200,
  /** Longest cron expression, in characters. */
  cronExpressionMaxLength: 256,
  /** Largest `maxRetries`. */
  maxRetries: 100,
  /** Largest `timeoutSecs` (one day). */
  timeoutSecsMax: 86_400,
  /** Largest payload, as UTF-8 JSON text. */
  payloadMaxBytes: 1024 * 1024,
  /** Deepest payload nesting. */
  payloadMaxDepth: 100,
  /** Longest interval (366 days). */
  intervalMaxMs: 366 * 24 * 60 * 60 * 1000,
  /** How far in the past a one-shot `runAt` may lie and still be accepted (clock skew). */
  oneShotPastToleranceMs: 5_000,
  /** Longest job id. */
  jobIdMaxLength: 256,
  /** Largest page. */
  pageSizeMax: 1_000,
  /** Most fire times one `getUpcomingFires` call returns. */
  upcomingFiresMax: 100,
  /** Longest job key, idempotency key or trigger request id, in characters (printable ASCII). */
  keyMaxLength: 128,
} as const;

/** Values used when a request leaves a field out. */
export const DEFAULTS = {
  /** `JobRequest.maxRetries` when left out. */
  maxRetries: 0,
  /** `JobRequest.timeoutSecs` when left out. */
  timeoutSecs: 60,
  /** `JobRequest.payload` when left out. */
  payload: null,
  /** Items per page when a listing sets none. */
  pageSize: 100,
  /** `JobRequest.overlap` when left out. */
  overlap: "skip",
  /** Fire times `getUpcomingFires` returns when the wire request sets no count. */
  upcomingFires: 10,
} as const;
