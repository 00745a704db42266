/**
 * `npm run bench`: runs every suite and writes bench/RESULTS.md.
 *
 *   npm run bench                      full run (several minutes), writes bench/RESULTS.md
 *   npm run bench -- --smoke           CI smoke run: tiny sizes, one round, writes to a temp file
 *   npm run bench -- --only=transport  one suite (ids: see bench/suites/index.ts)
 *   npm run bench -- --out=path.md     write the report elsewhere
 *   npm run bench -- --rounds=3        measured rounds per figure (default 5)
 *
 * Every figure is a ratio against a baseline measured in the same invocation; nothing here
 * judges wall-clock time on its own.
 */
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderReport, type SuiteResult } from "./lib/report.js";
import type { BenchSettings } from "./lib/suite.js";
import { SUITES } from "./suites/index.js";

/** A bad command line: reported in one line, exit code 2. */
class UsageError extends Error {}

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

async function main(): Promise<void> {
  const smoke = process.argv.includes("--smoke");
  const only = arg("only")?.split(",");
  const unknown = only?.filter((id) => !SUITES.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown suite(s) ${unknown.join(", ")}; known: ${SUITES.map((s) => s.id).join(", ")}`);
  const out = arg("out") ?? (smoke ? path.join(os.tmpdir(), `k1s0-bench-smoke-${process.pid}.md`) : path.join(__dirname, "RESULTS.md"));
  const rounds = smoke ? 1 : Number(arg("rounds") ?? 5);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds must be a whole number of at least 1, got ${JSON.stringify(arg("rounds"))}`);
  const known = ["--smoke", "--only=", "--out=", "--rounds="];
  const stray = process.argv.slice(2).filter((a) => !known.some((k) => (k.endsWith("=") ? a.startsWith(k) : a === k)));
  if (stray.length > 0) throw new UsageError(`unknown argument(s) ${stray.join(" ")}; known: --smoke --only=<ids> --out=<file> --rounds=<n>`);
  const settings: BenchSettings = {
    smoke,
    rounds,
    scale: smoke ? 0.02 : 1,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const results: SuiteResult[] = [];
  for (const suite of SUITES.filter((s) => only === undefined || only.includes(s.id))) {
    const started = Date.now();
    settings.log(`== ${suite.id}`);
    results.push(await suite.run(settings));
    settings.log(`== ${suite.id} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const preamble = [
    smoke
      ? "**Smoke run** (`npm run bench -- --smoke`): tiny sizes and one round, to keep the suite working. These figures mean nothing."
      : `Written by \`npm run bench\`: ${settings.rounds} measured rounds per figure after a warm-up unless a suite's method says otherwise; baseline and subject alternate within each round.`,
    "",
    "Every figure is a ratio against a baseline measured in the same run, oriented so that a ratio above 1 means our code is faster, smaller or leaner than the baseline. Medians over rounds; the spread is the smallest and largest round.",
  ];
  writeFileSync(out, renderReport(results, preamble));
  settings.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
