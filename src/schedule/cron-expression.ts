import { Cron } from "croner";

/** Time zone a cron schedule without one is evaluated in. */
export const DEFAULT_TIME_ZONE = "UTC";

// croner keeps a year table in every parsed expression (about 81 KiB each, measured by the
// bench's cron suite), so the parsed-expression cache stays small: 128 entries, about 10 MiB at
// most. Zone names are short strings and get a larger set.
export const CRON_CACHE_LIMIT = 128;
const ZONE_CACHE_LIMIT = 1_024;

interface CompiledCron {
  readonly cron: Cron;
  /** The last next-fire computed, and the instant it was computed after (NaN: none yet). */
  lastAfterMs: number;
  lastNext: number | undefined;
}

// Parsed expressions, shared by every job with the same expression and zone. Insertion-ordered,
// so evicting the first key drops the oldest entry.
const cache = new Map<string, CompiledCron>();

function compiled(expression: string, timeZone: string): CompiledCron {
  const key = `${timeZone}\u0000${expression}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = { cron: new Cron(expression, { timezone: timeZone, paused: true }), lastAfterMs: NaN, lastNext: undefined };
    evictOldestAtLimit(cache, CRON_CACHE_LIMIT);
    cache.set(key, entry);
  }
  return entry;
}

function evictOldestAtLimit(entries: Map<string, unknown> | Set<string>, limit: number): void {
  if (entries.size >= limit) entries.delete(entries.keys().next().value as string);
}

/**
 * Parses a cron expression for a time zone, with the croner library.
 * @throws the library's error when the expression does not parse.
 */
export function compileCron(expression: string, timeZone: string): Cron {
  return compiled(expression, timeZone).cron;
}

/**
 * The first fire strictly after `afterMs`, or `undefined` when the expression never fires again.
 * Each parsed expression remembers its last answer: creating a job asks twice for the same
 * instant (validation, then the first fire), and jobs sharing an expression that finish at the
 * same instant ask for the same next fire; croner's zone arithmetic is the expensive part.
 */
export function nextCronFire(expression: string, timeZone: string, afterMs: number): number | undefined {
  const entry = compiled(expression, timeZone);
  if (entry.lastAfterMs !== afterMs) {
    const next = entry.cron.nextRun(new Date(afterMs));
    entry.lastNext = next === null ? undefined : next.getTime();
    entry.lastAfterMs = afterMs;
  }
  return entry.lastNext;
}

// Zone names already accepted: constructing an Intl.DateTimeFormat costs about 100 µs.
const knownZones = new Set<string>();

/** Whether `timeZone` is an IANA time zone name this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (knownZones.has(timeZone)) return true;
  // Offsets such as "+09:00" are not IANA names even where Intl accepts them.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return false;
  // Nor are abbreviations ("JST", "EST", "CET"), which Intl accepts too: an IANA zone names its
  // region ("Area/Location"); "UTC" and "GMT" are the single-word names allowed.
  if (!timeZone.includes("/") && timeZone !== "UTC" && timeZone !== "GMT") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    return false;
  }
  evictOldestAtLimit(knownZones, ZONE_CACHE_LIMIT);
  knownZones.add(timeZone);
  return true;
}
