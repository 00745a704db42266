import { SchedulerError, type SchedulerErrorCode } from "../errors/scheduler-error.js";

const MAX_SHOWN = 80;

/** Renders a rejected value for an error message: short, unambiguous, never huge. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return JSON.stringify(shown);
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? "Invalid Date" : `Date(${value.toISOString()})`;
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** Builds the error for a broken request rule: `<field> <rule>, got <value>`. */
export function invalid(
  code: Extract<SchedulerErrorCode, "INVALID_ARGUMENT" | "INVALID_SCHEDULE">,
  field: string,
  value: unknown,
  rule: string,
): SchedulerError {
  return new SchedulerError(`${field} ${rule}, got ${describeValue(value)}`, code, { field });
}
