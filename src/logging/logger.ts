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
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ignore = (): void => undefined;

/** The default {@link Logger}: discards everything. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
