/**
 * The package's CommonJS build, as `npm run build` makes it (tsc -p tsconfig.cjs.json), but in a
 * private directory: benchmarks measure the JavaScript users run, never the tsx-transpiled
 * sources, and never delete or race the shared dist/ folder. Used by the cold-start and Kafka
 * suites.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const INPUTS = ["src", "gen", "tsconfig.json", "tsconfig.build.json", "tsconfig.cjs.json"];

/** The API of `@k1s0/scheduler-client`, typed from the sources it was built from. */
export type BuiltPackage = typeof import("../../src/index.js");

/** Every file the build reads, relative to the repository. */
function inputFiles(): string[] {
  return INPUTS.flatMap((name) => {
    const full = path.join(ROOT, name);
    if (!statSync(full).isDirectory()) return [name];
    return readdirSync(full, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
  });
}

/** A hash of everything the build reads, so an unchanged tree is built once per machine. */
function inputsHash(): string {
  const hash = createHash("sha256");
  for (const file of inputFiles().sort()) hash.update(file).update("\0").update(readFileSync(path.join(ROOT, file))).update("\0");
  return hash.digest("hex").slice(0, 16);
}

function tsc(outDir: string): Promise<void> {
  const bin = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, "-p", "tsconfig.cjs.json", "--outDir", outDir], { cwd: ROOT, encoding: "utf8" }, (error, stdout) => {
      if (error === null) resolve();
      else reject(new Error(`the package build (tsc -p tsconfig.cjs.json) failed:\n${stdout.trim().split("\n").slice(0, 20).join("\n")}`));
    });
  });
}

/**
 * Builds the package into `node_modules/.cache/k1s0-bench-build-<hash>/cjs` of this checkout
 * (reused while the sources are unchanged) and returns the path of its entry point,
 * `cjs/src/index.js`. Living under this checkout's node_modules, the build resolves its
 * dependencies by Node's ordinary upward search to the same copies the baselines load; a
 * cache shared between checkouts (the system temp folder) could point at a deleted one.
 */
export async function buildPackage(log: (line: string) => void): Promise<string> {
  const cache = path.join(ROOT, "node_modules", ".cache");
  const dir = path.join(cache, `k1s0-bench-build-${inputsHash()}`);
  const entry = path.join(dir, "cjs", "src", "index.js");
  if (existsSync(entry)) return entry;
  log("building the package (tsc -p tsconfig.cjs.json) into a private folder");
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(`${dir}.staging-`);
  try {
    await tsc(path.join(staging, "cjs"));
    writeFileSync(path.join(staging, "cjs", "package.json"), `${JSON.stringify({ type: "commonjs", sideEffects: false })}\n`);
    // Another run may have finished the same build meanwhile; either copy will do.
    if (!existsSync(entry)) renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return entry;
}

/** Loads the built package into this process. */
export async function loadBuiltPackage(log: (line: string) => void): Promise<BuiltPackage> {
  const entry = await buildPackage(log);
  return createRequire(__filename)(entry) as BuiltPackage;
}
