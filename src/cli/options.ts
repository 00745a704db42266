import { readFileSync } from "node:fs";
import { UsageError } from "./cli-error.js";

/** How an option is written on the command line: `-n` for one letter, `--name` otherwise. */
const flag = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** A whole number option within bounds. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag(name)} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration with its unit, such as `500ms`, `30s`, `10m`, `2h` or `1d`, in milliseconds. A bare number is refused: `10` is not "10 seconds". */
export function durationOption(name: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (match === null) {
    const hint = /^\d+$/.test(value) ? ` (a unit is required: ${value}s, ${value}m, ${value}ms ...)` : "";
    throw new UsageError(`${flag(name)} must be a duration with a unit such as 30s, 10m, 2h, 1d or 500ms, got "${value}"${hint}`);
  }
  return Number(match[1]) * UNITS[match[2]];
}

/** An instant in ISO 8601 with `Z` or an offset (`2040-03-10T12:00:00Z`, `...T21:00:00+09:00`): never the machine's own zone. */
export function dateOption(name: string, value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag(name)} must be an ISO 8601 time with Z or an offset, such as 2040-03-10T12:00:00Z or 2040-03-10T21:00:00+09:00, got "${value}"`);
  }
  return date;
}

/**
 * The payload: `--payload JSON`, or `--payload-file PATH` (`-` reads standard input) for
 * payloads too long for a command line. `null` when neither is given.
 */
export function payloadOption(text: string | undefined, file: string | undefined, readStdin: () => string = () => readFileSync(0, "utf8")): unknown {
  if (text !== undefined && file !== undefined) throw new UsageError("give --payload or --payload-file, not both");
  if (file !== undefined) {
    let content: string;
    try {
      content = file === "-" ? readStdin() : readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`--payload-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return json("--payload-file", content, file);
  }
  return text === undefined ? null : json("--payload", text, JSON.stringify(text));
}

function json(option: string, text: string, shown: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${option} must be JSON (${(err as Error).message}), got ${shown.length > 80 ? `${shown.slice(0, 80)}...` : shown}`);
  }
}

/** A scheduler URL: `http://` or `https://` with a host. */
export function serverOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--server must be a URL such as http://localhost:8093, got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--server must be an http:// or https:// URL, got "${value}"`);
  return value;
}

/** The one positional argument a command needs. */
export function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1 || positionals[0] === undefined) throw new UsageError(`expected exactly one ${what}`);
  return positionals[0];
}

/** For commands that take no positional argument. */
export function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
}

/** node:util parseArgs's error, in the CLI's words (its own quote the option oddly and suggest `--` tricks). */
export function parseArgsMessage(err: unknown): string {
  const { code, message = "bad arguments" } = err as { code?: string; message?: string };
  // "Option '-n, --n <value>' ...", "Unknown option '--bogus'. ...": the option as typed.
  const option = /'(--?[\w-]+)/.exec(message)?.[1] ?? "an option";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // A missing value, or one that starts with "-" (a negative number reads as an option).
    return /ambiguous/.test(message) ? `${option} needs a value (to pass one that starts with "-", write ${option}=-VALUE)` : `${option} needs a value`;
  }
  return message.replace(/\n[\s\S]*/, "");
}
