/** A JSON value: what a job's payload may be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * `T` with every part that is not JSON replaced by `never`, so that `P extends JsonPayload<P>`
 * holds only for payload types JSON represents unchanged: a `Date`, a `Map`, a function, a
 * `bigint` or `undefined` where a value must be (optional properties are fine) fails to compile
 * instead of failing at run time. Works for interfaces too (which `JsonValue`'s index signature
 * would refuse). `unknown` passes through: code that does not name a type keeps the run-time check.
 */
export type JsonPayload<T> = unknown extends T
  ? T
  : T extends JsonValue
    ? T
    : T extends bigint | symbol | undefined | ((...args: never[]) => unknown) | Date | RegExp | Map<unknown, unknown> | Set<unknown> | Promise<unknown>
      ? never
      : T extends object
        ? { [K in keyof T]: JsonPayload<T[K]> }
        : never;
