/**
 * When a job fires: a cron expression, a single instant, or a fixed interval.
 *
 * - `cron`: every match of `expression` (five fields, or six with leading seconds; nicknames such
 *   as `@daily` work), evaluated in the IANA `timezone` (default `"UTC"`). A wall-clock time that
 *   a spring-forward day skips fires at the first instant after the gap; a time that a fall-back
 *   day repeats fires once.
 * - `one_shot`: once, at `runAt`, which must not be in the past when the job is created.
 * - `interval`: every `intervalMs` milliseconds (a positive whole number, at most 366 days),
 *   the first fire one interval after creation.
 */
export type Schedule =
  | {
      /** Discriminant: a cron schedule. */
      type: "cron";
      /** The cron expression, e.g. `"0 2 * * *"`. */
      expression: string;
      /** IANA time zone the expression is evaluated in. @default "UTC" */
      timezone?: string;
    }
  | {
      /** Discriminant: a one-shot schedule. */
      type: "one_shot";
      /** The instant to fire at. */
      runAt: Date;
    }
  | {
      /** Discriminant: an interval schedule. */
      type: "interval";
      /** Milliseconds between fires. */
      intervalMs: number;
    };

/** The `type` of a {@link Schedule}. */
export type ScheduleType = Schedule["type"];
