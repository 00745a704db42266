/**
 * Where the library reports what it does. Silent by default: the library never writes to the
 * console on its own. Pass `console`, or an adapter to pino/winston, as the `logger` option.
 *
 * @example
 * ```ts
 * const client = new GrpcSchedulerClient(url, { logger: console });
 * ```
 */
export interface Logger {
  /** Details for troubleshooting, e.g. each failed call. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Lifecycle: started, subscribed, closed. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something failed and is being retried. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something failed for good (an event not delivered or not published). */
  error(message: string, fields?: Record<string, unknown>): void;
}

const ignore = (): void => undefined;

/** The default {@link Logger}: discards everything. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
