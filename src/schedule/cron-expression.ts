import { Cron } from "croner";

/** Time zone a cron schedule without one is evaluated in. */
export const DEFAULT_TIME_ZONE = "UTC";

const CACHE_LIMIT = 1_024;
// Parsed expressions, shared by every job with the same expression and zone. Insertion-ordered,
// so evicting the first key drops the oldest entry.
const cache = new Map<string, Cron>();

/**
 * Parses a cron expression for a time zone, with the croner library.
 * @throws the library's error when the expression does not parse.
 */
export function compileCron(expression: string, timeZone: string): Cron {
  const key = `${timeZone}\u0000${expression}`;
  let cron = cache.get(key);
  if (cron === undefined) {
    cron = new Cron(expression, { timezone: timeZone, paused: true });
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, cron);
  }
  return cron;
}

/** The first fire strictly after `afterMs`, or `undefined` when the expression never fires again. */
export function nextCronFire(expression: string, timeZone: string, afterMs: number): number | undefined {
  const next = compileCron(expression, timeZone).nextRun(new Date(afterMs));
  return next === null ? undefined : next.getTime();
}

/** Whether `timeZone` is an IANA time zone name this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  // Offsets such as "+09:00" are not IANA names even where Intl accepts them.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
