/**
 * The JSON fast path of decodeJobCompletedEvent (src/mapping/event-json-fast-path.ts) must never
 * decide differently from the full protobuf-es path: for every input it either declines
 * (`undefined`) or returns exactly what the full path returns. Checked here against a verbatim
 * copy of the decoder as it was before the fast path (`referenceDecode`), with generated events
 * as the SDK publishes them and with mutated, odd and arbitrary JSON.
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import fc from "fast-check";
import { JobCompletedEventSchema } from "../../gen/k1s0/system/scheduler/v1/events_pb.js";
import { ExecutionResult as ExecutionResultPb } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import { decodeJobCompletedEvent, encodeJobCompletedEvent, EXECUTION_TRIGGERS, type JobCompletedEvent, SchedulerError } from "@k1s0/scheduler-client";
import { eventFromJsonValue } from "../../src/mapping/event-codec.js";
import { eventFromCanonicalJson } from "../../src/mapping/event-json-fast-path.js";
import { eventFromProto } from "../../src/mapping/execution-mapping.js";

const RUNS = 2_000;
const SEED = 20261129;

// ---------------------------------------------------------------------------------------------
// The reference: the JSON branch of decodeJobCompletedEvent before the fast path, verbatim.

function referenceDecode(value: Uint8Array): JobCompletedEvent {
  let pb;
  try {
    pb = fromJson(JobCompletedEventSchema, JSON.parse(Buffer.from(value).toString("utf8")) as JsonValue, { ignoreUnknownFields: true });
  } catch (err) {
    throw malformed("event", `is not a JobCompletedEvent (${(err as Error).message})`, err);
  }
  if (pb.jobId === "") throw malformed("event.jobId", "is missing");
  if (pb.executionId === "") throw malformed("event.executionId", "is missing");
  if (pb.completedAt === undefined) throw malformed("event.completedAt", "is missing");
  if (pb.result === ExecutionResultPb.UNSPECIFIED || pb.result === ExecutionResultPb.RUNNING) {
    throw malformed("event.result", `must be SUCCEEDED, FAILED or TIMED_OUT, got ${ExecutionResultPb[pb.result] ?? pb.result}`);
  }
  try {
    return eventFromProto(pb);
  } catch (err) {
    throw malformed("event.result", "is not a known execution result", err);
  }
}

function malformed(field: string, problem: string, cause?: unknown): SchedulerError {
  return new SchedulerError(`${field} ${problem}`, "INVALID_ARGUMENT", { field, ...(cause === undefined ? {} : { cause }) });
}

// ---------------------------------------------------------------------------------------------
// Comparing outcomes.

type Outcome = { event: JobCompletedEvent } | { error: { code: string; field: string | undefined; message: string } };

function outcome(decode: () => JobCompletedEvent): Outcome {
  try {
    return { event: decode() };
  } catch (err) {
    if (!(err instanceof SchedulerError)) throw new Error(`not a SchedulerError: ${String(err)}`, { cause: err });
    return { error: { code: err.code, field: err.field, message: err.message } };
  }
}

/** Same event (every field, -0 vs 0 and the exact instant included) or the same error. */
function expectSameOutcome(actual: Outcome, expected: Outcome): void {
  if ("error" in expected) {
    expect(actual).toEqual(expected);
    return;
  }
  if (!("event" in actual)) throw new Error(`expected an event, got ${JSON.stringify(actual.error)}`);
  expectSameEvent(actual.event, expected.event);
}

function expectSameEvent(actual: JobCompletedEvent, expected: JobCompletedEvent): void {
  expect(actual).toStrictEqual(expected);
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  expect(Object.is(actual.attempt, expected.attempt)).toBe(true);
  expect(Object.is(actual.completedAt.getTime(), expected.completedAt.getTime())).toBe(true);
}

const stats = { fast: 0, declined: 0 };

/**
 * The properties for one parsed JSON value and its text: the fast path agrees with the full
 * path on the value, and decodeJobCompletedEvent on the text agrees with the reference.
 */
function check(json: unknown, text: string = JSON.stringify(json) ?? "null"): void {
  const reference = outcome(() => eventFromJsonValue(json as JsonValue));
  const fast = eventFromCanonicalJson(json);
  if (fast === undefined) {
    stats.declined++;
  } else {
    stats.fast++;
    if (!("event" in reference)) throw new Error(`the fast path accepted what the full path rejects (${JSON.stringify(reference.error)}): ${text}`);
    expectSameEvent(fast, reference.event);
  }
  const bytes = Buffer.from(text, "utf8");
  expectSameOutcome(
    outcome(() => decodeJobCompletedEvent(bytes, "application/json")),
    outcome(() => referenceDecode(bytes)),
  );
}

// ---------------------------------------------------------------------------------------------
// Generators.

const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"];
/** Strings, now and then with lone surrogates (which protobuf-es rejects as invalid UTF-8). */
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.string({ unit: "binary", maxLength: 3 }), fc.constantFrom(...LONE_SURROGATES)), { maxLength: 4 })
      .map((parts) => parts.join("")),
  },
);

const FINAL_RESULTS = ["succeeded", "failed", "timed_out"] as const;
const MIN_DATE = new Date("0001-01-01T00:00:00Z");
const MAX_DATE = new Date("9999-12-31T23:59:59.999Z");

/** Events as the scheduler publishes them (well-formed strings, final results). */
const publishedEvent: fc.Arbitrary<JobCompletedEvent> = fc
  .record({
    jobId: fc.string({ minLength: 1, maxLength: 30 }),
    executionId: fc.oneof(fc.uuid(), fc.string({ unit: "binary", minLength: 1, maxLength: 30 })),
    completedAt: fc.oneof(
      fc.date({ min: MIN_DATE, max: MAX_DATE, noInvalidDate: true }),
      fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2060-01-01T00:00:00Z"), noInvalidDate: true }),
    ),
    result: fc.constantFrom(...FINAL_RESULTS),
    jobName: fc.string({ unit: "binary", maxLength: 30 }),
    attempt: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 0xffffffff })),
    error: fc.option(fc.string({ unit: "binary", maxLength: 30 }), { nil: undefined }),
    trigger: fc.option(fc.constantFrom(...EXECUTION_TRIGGERS), { nil: undefined }),
  })
  .map(({ error, trigger, ...event }) => ({ ...event, ...(error === undefined ? {} : { error }), ...(trigger === undefined ? {} : { trigger }) }));

/** Any event the domain type can hold, incl. "running" and lone surrogates. */
const anyEvent: fc.Arbitrary<JobCompletedEvent> = fc
  .record({
    jobId: text,
    executionId: text,
    completedAt: fc.date({ min: MIN_DATE, max: MAX_DATE, noInvalidDate: true }),
    result: fc.constantFrom("running", ...FINAL_RESULTS),
    jobName: text,
    attempt: fc.integer({ min: 0, max: 0xffffffff }),
    error: fc.option(text, { nil: undefined }),
    trigger: fc.option(fc.constantFrom(...EXECUTION_TRIGGERS), { nil: undefined }),
  })
  .map(({ error, trigger, ...event }) => ({ ...event, ...(error === undefined ? {} : { error }), ...(trigger === undefined ? {} : { trigger }) }));

/** The canonical JSON object of an event, as encodeJobCompletedEvent writes it. */
function canonicalObject(event: JobCompletedEvent): Record<string, unknown> {
  return JSON.parse(encodeJobCompletedEvent(event).value.toString("utf8")) as Record<string, unknown>;
}

/**
 * Timestamp strings: protobuf JSON's RFC 3339 form and near misses (other zones, lower case,
 * fraction lengths 0-12, out-of-range fields and years, leap seconds, 24:00, February 30, ...).
 */
const pad = (n: number, width: number) => String(n).padStart(width, "0");
const twoDigits = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 61 }).map((n) => pad(n, 2)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 99 }).map((n) => pad(n, 2)) },
  { weight: 1, arbitrary: fc.constantFrom("0", "000", "1", "-1", "+1", "  ", "aa", "１２") },
);
const timestamp = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        year: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 9999 }).map((n) => pad(n, 4)) },
          { weight: 3, arbitrary: fc.integer({ min: 1969, max: 2100 }).map((n) => pad(n, 4)) },
          { weight: 1, arbitrary: fc.constantFrom("10000", "-0001", "+2040", "204", "0000", "9999", "0001") },
        ),
        month: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => pad(n, 2)) }, { weight: 1, arbitrary: twoDigits }),
        day: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 28 }).map((n) => pad(n, 2)) }, { weight: 1, arbitrary: twoDigits }),
        t: fc.constantFrom("T", "T", "T", "T", "t", " ", "_"),
        hour: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 23 }).map((n) => pad(n, 2)) }, { weight: 1, arbitrary: twoDigits }),
        minute: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 59 }).map((n) => pad(n, 2)) }, { weight: 1, arbitrary: twoDigits }),
        second: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 59 }).map((n) => pad(n, 2)) }, { weight: 1, arbitrary: twoDigits }),
        fraction: fc.oneof(
          { weight: 3, arbitrary: fc.constant("") },
          { weight: 6, arbitrary: fc.stringMatching(/^[0-9]{1,9}$/).map((digits) => `.${digits}`) },
          { weight: 1, arbitrary: fc.constantFrom(".", ".0000000000", ".1234567890", ",5", ".5a", ".９") },
        ),
        zone: fc.oneof(
          { weight: 8, arbitrary: fc.constant("Z") },
          { weight: 2, arbitrary: fc.constantFrom("z", "", "+00:00", "-00:00", "+09:00", "-05:30", "+23:59", "+0900", "+09", "Z ", "ZZ", " Z") },
        ),
      })
      .map((p) => `${p.year}-${p.month}-${p.day}${p.t}${p.hour}:${p.minute}:${p.second}${p.fraction}${p.zone}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "0001-01-01T00:00:00Z",
      "0000-12-31T23:59:59Z",
      "0000-12-31T23:59:59.999999999Z",
      "9999-12-31T23:59:59Z",
      "9999-12-31T23:59:59.999999999Z",
      "9999-12-31T23:59:59.9995Z",
      "9999-12-31T23:59:60Z",
      "9999-12-31T24:00:00Z",
      "10000-01-01T00:00:00Z",
      "2040-02-30T00:00:00Z",
      "2040-02-31T12:00:00Z",
      "2040-04-31T00:00:00Z",
      "2040-01-01T24:00:00Z",
      "2040-01-01T24:00:01Z",
      "2040-01-01T23:60:00Z",
      "2040-01-01T23:59:60Z",
      "2040-00-01T00:00:00Z",
      "2040-13-01T00:00:00Z",
      "2040-01-00T00:00:00Z",
      "2040-01-32T00:00:00Z",
      "1970-01-01T00:00:00.5Z",
      "1969-12-31T23:59:59.9995Z",
      "1969-12-31T23:59:59.0005Z",
      "1969-12-31T23:59:59.000499999Z",
      "2040-01-01T00:00:00.123+01:00",
      "2040-01-01T00:00:00",
      "2040-01-01",
      "",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 32 }) },
);

/** Values for `result`: names (right, wrong, lower case), numbers (in range or not), odd types. */
const resultValue = fc.oneof(
  fc.constantFrom(
    "EXECUTION_RESULT_UNSPECIFIED",
    "EXECUTION_RESULT_RUNNING",
    "EXECUTION_RESULT_SUCCEEDED",
    "EXECUTION_RESULT_FAILED",
    "EXECUTION_RESULT_TIMED_OUT",
    "EXECUTION_RESULT_CANCELLED",
    "execution_result_succeeded",
    "SUCCEEDED",
    "succeeded",
    "",
    "2",
    "constructor",
    "__proto__",
    "toString",
  ),
  fc.integer({ min: -2, max: 6 }),
  fc.constantFrom(2.5, -0, 2 ** 31, -(2 ** 31) - 1, 1e300, Number.MAX_SAFE_INTEGER, null, true, false),
  fc.constantFrom([], {}, [2], { value: 2 }),
);

/** Values for `attempt`: in range, at and past the uint32 bounds, -0, strings, odd types. */
const attemptValue = fc.oneof(
  fc.integer({ min: 0, max: 10 }),
  fc.constantFrom(0xffffffff, 0x100000000, -1, -0, 1.5, 1e21, Number.MAX_SAFE_INTEGER, null, true),
  fc.constantFrom("1", "", " 1", "1.0", "0x10", "-0", "abc"),
  fc.constantFrom([], {}, [1]),
);

/** Values for `trigger`: names, numbers (also unknown ones), near misses, odd types. */
const triggerValue = fc.oneof(
  fc.constantFrom("EXECUTION_TRIGGER_UNSPECIFIED", "EXECUTION_TRIGGER_SCHEDULE", "EXECUTION_TRIGGER_MANUAL", "EXECUTION_TRIGGER_RETRY"),
  fc.constantFrom("EXECUTION_TRIGGER_LATER", "manual", "", "2"),
  fc.integer({ min: -1, max: 5 }),
  fc.constantFrom(1.5, -0, null, true, [], {}),
);

const odd = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1, -1, 1.5, "", " ", "x", [], {}, ["a"], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
  text,
);

/** Keys a mutation sets: the fields by JSON and proto name, unknown ones, look-alikes. */
const FIELDS = ["jobId", "executionId", "completedAt", "result", "jobName", "attempt", "error", "trigger"] as const;
const OTHER_KEYS = ["job_id", "execution_id", "completed_at", "job_name", "JobId", "jobid", "addedLater", "[k1s0.ext]", "__proto__", "constructor", "hasOwnProperty", ""];

type Mutation = (obj: Record<string, unknown>) => void;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), odd).map(([key, value]): Mutation => (obj) => void (obj[key] = value)),
  fc.constantFrom(...FIELDS).map((key): Mutation => (obj) => void delete obj[key]),
  timestamp.map((value): Mutation => (obj) => void (obj.completedAt = value)),
  resultValue.map((value): Mutation => (obj) => void (obj.result = value)),
  attemptValue.map((value): Mutation => (obj) => void (obj.attempt = value)),
  triggerValue.map((value): Mutation => (obj) => void (obj.trigger = value)),
  fc.tuple(fc.constantFrom(...FIELDS, ...OTHER_KEYS), odd).map(
    ([key, value]): Mutation =>
      (obj) =>
        void Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true }),
  ),
  // A field under its proto name instead (fromJson accepts both; not both at once).
  fc.constantFrom(["jobId", "job_id"], ["executionId", "execution_id"], ["completedAt", "completed_at"], ["jobName", "job_name"]).map(
    ([json, proto]): Mutation =>
      (obj) => {
        obj[proto] = obj[json];
        if (obj[proto] !== undefined) delete obj[json];
      },
  ),
  fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...LONE_SURROGATES)).map(([key, s]): Mutation => (obj) => void (obj[key] = `${String(obj[key])}${s}`)),
);

// ---------------------------------------------------------------------------------------------

describe("JobCompletedEvent JSON fast path", () => {
  afterAll(() => {
    process.stdout.write(`[fast-path] inputs taking the fast path: ${stats.fast}, declined (full path): ${stats.declined}\n`);
  });

  it("takes every event the SDK publishes, and decodes it exactly as the full path", () => {
    fc.assert(
      fc.property(publishedEvent, (event) => {
        const encoded = encodeJobCompletedEvent(event);
        const json = JSON.parse(encoded.value.toString("utf8")) as unknown;
        const fast = eventFromCanonicalJson(json);
        expect(fast).toBeDefined();
        expectSameEvent(fast!, referenceDecode(encoded.value));
        // The round trip gives the event back (an empty error is no error).
        const { error, ...rest } = event;
        expectSameEvent(decodeJobCompletedEvent(encoded.value, encoded.headers["content-type"]), error === "" ? rest : event);
        check(json);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("agrees with the full path on any event the domain type can hold (running, lone surrogates, ...)", () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        let json: unknown;
        try {
          json = canonicalObject(event);
        } catch {
          return; // the encoder itself refused it
        }
        check(json);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("agrees with the full path on mutated events (odd values, proto names, unknown keys, timestamps, enums)", () => {
    fc.assert(
      fc.property(publishedEvent, fc.array(mutation, { minLength: 1, maxLength: 4 }), (event, mutations) => {
        const obj = canonicalObject(event);
        for (const mutate of mutations) mutate(obj);
        check(obj);
      }),
      { numRuns: RUNS * 3, seed: SEED },
    );
  });

  it("agrees with the full path on every timestamp form, whatever day came before", () => {
    const base = canonicalObject({ jobId: "j", executionId: "e", completedAt: new Date(0), result: "succeeded", jobName: "n", attempt: 1 });
    fc.assert(
      fc.property(fc.array(timestamp, { minLength: 1, maxLength: 5 }), (values) => {
        for (const completedAt of values) check({ ...base, completedAt });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("agrees with the full path on arbitrary JSON", () => {
    const key = fc.constantFrom(...FIELDS, ...OTHER_KEYS);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(key, odd, { maxKeys: 9 })), (json) => check(json)),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("agrees on the text level: whitespace, escapes, duplicate keys (the last wins), -0", () => {
    const texts = [
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}',
      ' { "jobId" : "j" , "executionId" : "e" , "completedAt" : "2040-01-01T00:00:00.000000001Z" , "result" : 4 } ',
      '{"jobId":"j","jobId":"k","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_FAILED"}',
      '{"jobId":"j","jobId":"","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_FAILED"}',
      '{"jobId":"j","job_id":"k","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_FAILED"}',
      '{"\\u006aobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}',
      '{"jobId":"\\ud800","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}',
      '{"jobId":"\\ud83d\\ude00","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED","attempt":-0}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED","attempt":2.0}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED","attempt":1e0}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":-0}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":2e0}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED","error":null}',
      '{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED","jobName":null}',
      '{"jobId":"j","executionId":"e","completedAt":null,"result":"EXECUTION_RESULT_SUCCEEDED"}',
      '{"__proto__":{"jobId":"j"},"executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}',
      '[{"jobId":"j"}]',
      '"2040-01-01T00:00:00Z"',
      "null",
    ];
    for (const t of texts) check(JSON.parse(t), t);
    // -0 survives JSON.parse but not JSON.stringify: checked on the value as well.
    const minusZero = JSON.parse(texts[8]) as unknown;
    expectSameEvent(eventFromCanonicalJson(minusZero)!, eventFromJsonValue(minusZero as JsonValue));
    expect(Object.is(eventFromCanonicalJson(minusZero)!.attempt, -0)).toBe(true);
  });

  it("takes the fast path for each timestamp precision the encoder writes", () => {
    for (const ms of [0, 1, 123, 999, -1, -999, Date.UTC(2040, 0, 1), Date.UTC(2040, 0, 1, 23, 59, 59, 999)]) {
      const json = canonicalObject({ jobId: "j", executionId: "e", completedAt: new Date(ms), result: "failed", jobName: "", attempt: 0, error: "x" });
      const fast = eventFromCanonicalJson(json);
      expect(fast?.completedAt.getTime()).toBe(ms);
    }
    // Nanosecond precision from another producer: rounded to ms as timestampMs rounds.
    for (const [value, ms] of [
      ["1970-01-01T00:00:00.0005Z", 1],
      ["1970-01-01T00:00:00.000499999Z", 0],
      ["1969-12-31T23:59:59.9995Z", 0],
      ["1970-01-01T00:00:00.5Z", 500],
    ] as const) {
      const json = { jobId: "j", executionId: "e", completedAt: value, result: "EXECUTION_RESULT_SUCCEEDED" };
      expect(eventFromCanonicalJson(json)?.completedAt.getTime()).toBe(ms);
      check(json);
    }
  });
});
