import { execFileSync } from "node:child_process";
import * as os from "node:os";
import { median, range } from "./stats.js";

/**
 * One figure of the report: a subject measured against a baseline in the same invocation, round
 * by round. `higherIsBetter` says how to read the ratio (throughput: subject / baseline; time,
 * latency, bytes: baseline / subject), so a ratio above 1 always means "the subject wins".
 */
export interface Figure {
  /** What is measured, e.g. "getJob, 64 in flight". */
  name: string;
  /** Unit of the raw values, e.g. "calls/s", "ms", "B/job". */
  unit: string;
  baseline: { label: string; values: number[] };
  subject: { label: string; values: number[] };
  /** true for throughput-like units; false for times, latencies, sizes. */
  higherIsBetter: boolean;
  /** The goal on the ratio (subject wins when > 1), e.g. 0.95; omitted when there is none. */
  goal?: number;
}

/** A figure that is a plain reading with a bound rather than a comparison (p99 lag, bytes/job). */
export interface Reading {
  name: string;
  unit: string;
  values: number[];
  /** A goal on the median: "<= 2048" reads as `{ op: "<=", value: 2048 }`. */
  goal?: { op: "<=" | ">=" | "<"; value: number };
  /** What the reading is set against, when it is not a ratio (e.g. "execution history limit 100/job"). */
  context?: string;
}

/** The results of one suite. */
export interface SuiteResult {
  title: string;
  /** How it was measured: processes, rounds, warm-up, sizes. */
  method: string;
  figures: Figure[];
  readings?: Reading[];
  notes?: string[];
}

/** Ratio of one round, oriented so that > 1 means the subject wins. */
export function roundRatios(f: Figure): number[] {
  const n = Math.min(f.baseline.values.length, f.subject.values.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = f.baseline.values[i];
    const s = f.subject.values[i];
    ratios.push(f.higherIsBetter ? s / b : b / s);
  }
  return ratios;
}

export function goalMet(f: Figure): boolean | undefined {
  return f.goal === undefined ? undefined : median(roundRatios(f)) >= f.goal;
}

export function readingMet(r: Reading): boolean | undefined {
  if (r.goal === undefined) return undefined;
  const m = median(r.values);
  return r.goal.op === "<=" ? m <= r.goal.value : r.goal.op === "<" ? m < r.goal.value : m >= r.goal.value;
}

/** A number for a table: 3 significant digits, thousands grouped. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const verdict = (met: boolean | undefined): string => (met === undefined ? "-" : met ? "met" : "**not met**");

function figureTable(figures: Figure[]): string[] {
  const lines = [
    "| figure | baseline | median | subject | median | ratio (median) | ratio spread (min-max) | goal | |",
    "|---|---|---:|---|---:|---:|---:|---:|---|",
  ];
  for (const f of figures) {
    const ratios = roundRatios(f);
    const { min, max } = range(ratios);
    lines.push(
      `| ${f.name} | ${f.baseline.label} | ${fmt(median(f.baseline.values))} ${f.unit} | ${f.subject.label} | ${fmt(median(f.subject.values))} ${f.unit} | ${fmt(median(ratios))}x | ${fmt(min)}-${fmt(max)} | ${f.goal === undefined ? "-" : `>= ${f.goal}x`} | ${verdict(goalMet(f))} |`,
    );
  }
  return lines;
}

function readingTable(readings: Reading[]): string[] {
  const lines = ["| reading | median | spread (min-max) | set against | goal | |", "|---|---:|---:|---|---:|---|"];
  for (const r of readings) {
    const { min, max } = range(r.values);
    lines.push(
      `| ${r.name} | ${fmt(median(r.values))} ${r.unit} | ${fmt(min)}-${fmt(max)} | ${r.context ?? "-"} | ${r.goal === undefined ? "-" : `${r.goal.op} ${fmt(r.goal.value)} ${r.unit}`} | ${verdict(readingMet(r))} |`,
    );
  }
  return lines;
}

/** The machine and software the figures were taken on. */
export function machine(): string[] {
  const cpus = os.cpus();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    if (dirty) commit += " with uncommitted changes";
  } catch {
    // not a git checkout
  }
  return [
    `- CPU: ${cpus[0]?.model ?? "unknown"}, ${cpus.length} logical cores; memory ${fmt(os.totalmem() / 2 ** 30)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node.js ${process.version}, V8 ${process.versions.v8}`,
    `- commit ${commit}, run at ${new Date().toISOString()}`,
  ];
}

/** The whole `bench/RESULTS.md`. */
export function renderReport(results: SuiteResult[], preamble: string[]): string {
  const out = ["# Benchmark results", "", ...preamble, "", "## Machine", "", ...machine(), ""];
  for (const r of results) {
    out.push(`## ${r.title}`, "", r.method, "");
    if (r.figures.length > 0) out.push(...figureTable(r.figures), "");
    if (r.readings !== undefined && r.readings.length > 0) out.push(...readingTable(r.readings), "");
    for (const note of r.notes ?? []) out.push(`- ${note}`);
    if ((r.notes ?? []).length > 0) out.push("");
  }
  return out.join("\n");
}
