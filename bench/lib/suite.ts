import type { SuiteResult } from "./report.js";

/** How long and how often a suite measures. */
export interface BenchSettings {
  /** A smoke run (CI): tiny sizes, one short round, so the code paths run but nothing is judged. */
  smoke: boolean;
  /** Measured rounds per figure (baseline and subject alternate within each round). */
  rounds: number;
  /** Scale for durations and sizes: 1 for a full run, small for a smoke run. */
  scale: number;
  /** Progress lines (stderr); RESULTS.md gets only the final figures. */
  log: (line: string) => void;
}

/** One benchmark suite: measures, returns figures; never asserts on wall-clock time. */
export interface BenchSuite {
  /** Short id for `npm run bench -- --only=<id>`. */
  id: string;
  run(settings: BenchSettings): Promise<SuiteResult>;
}
