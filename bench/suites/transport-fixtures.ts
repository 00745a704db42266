import type { JobRequest } from "@k1s0/scheduler-client";

/** The simulated "now" of the transport suite's servers (far in the future: nothing is due). */
export const BENCH_START = Date.parse("2040-03-10T12:00:00Z");

/** The job every transport benchmark creates, gets and lists: an hourly interval job. */
export const BENCH_JOB = {
  name: "bench-report",
  schedule: { type: "interval", intervalMs: 3_600_000 },
  payload: { reportId: 42, format: "pdf" },
  maxRetries: 3,
  timeoutSecs: 60,
} as const satisfies JobRequest;
