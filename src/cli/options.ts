import { UsageError } from "./cli-error.js";

/** A whole number option within bounds. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `500`, `500ms`, `30s`, `10m`, `2h` or `1d`, in milliseconds. */
export function durationOption(name: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (match === null) throw new UsageError(`--${name} must be a duration such as 600000, 30s, 10m or 1h, got "${value}"`);
  return Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1);
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

/** An instant such as `2040-03-10T12:00:00Z` (anything `Date` parses). */
export function dateOption(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be an ISO 8601 date such as 2040-03-10T12:00:00Z, got "${value}"`);
  return date;
}
