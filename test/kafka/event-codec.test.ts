import { decodeJobCompletedEvent, encodeJobCompletedEvent, type JobCompletedEvent } from "@k1s0/scheduler-client";

const event: JobCompletedEvent = {
  jobId: "job-1",
  executionId: "exec-1",
  completedAt: new Date("2040-01-01T02:00:00.123Z"),
  result: "failed",
  jobName: "daily-report",
  attempt: 2,
  error: "boom",
};

describe("JobCompletedEvent wire format", () => {
  it("encodes canonical protobuf JSON keyed by job id, and decodes it back", () => {
    const encoded = encodeJobCompletedEvent(event);
    expect(encoded.key).toBe("job-1");
    expect(encoded.headers).toEqual({ "content-type": "application/json" });
    expect(JSON.parse(encoded.value.toString())).toEqual({
      jobId: "job-1",
      executionId: "exec-1",
      completedAt: "2040-01-01T02:00:00.123Z",
      result: "EXECUTION_RESULT_FAILED",
      jobName: "daily-report",
      attempt: 2,
      error: "boom",
    });
    expect(decodeJobCompletedEvent(encoded.value, "application/json")).toEqual(event);
  });

  it("round-trips binary protobuf, and success without an error", () => {
    const ok: JobCompletedEvent = { ...event, result: "succeeded", attempt: 1 };
    delete ok.error;
    const encoded = encodeJobCompletedEvent(ok, "binary");
    expect(encoded.headers["content-type"]).toBe("application/x-protobuf");
    expect(decodeJobCompletedEvent(encoded.value, "application/x-protobuf")).toEqual(ok);
    expect(decodeJobCompletedEvent(encodeJobCompletedEvent(ok).value)).toEqual(ok);
  });

  it("carries what started the execution; an event without it (a 0.1.0 producer) or with a newer value has none", () => {
    for (const trigger of ["schedule", "manual", "retry"] as const) {
      const withTrigger: JobCompletedEvent = { ...event, trigger };
      const json = encodeJobCompletedEvent(withTrigger);
      expect(JSON.parse(json.value.toString()).trigger).toBe(`EXECUTION_TRIGGER_${trigger.toUpperCase()}`);
      expect(decodeJobCompletedEvent(json.value)).toEqual(withTrigger);
      expect(decodeJobCompletedEvent(encodeJobCompletedEvent(withTrigger, "binary").value, "application/x-protobuf")).toEqual(withTrigger);
    }
    const old = JSON.parse(encodeJobCompletedEvent(event).value.toString()) as Record<string, unknown>;
    expect(old).not.toHaveProperty("trigger");
    expect(decodeJobCompletedEvent(Buffer.from(JSON.stringify(old)))).not.toHaveProperty("trigger");
    expect(decodeJobCompletedEvent(Buffer.from(JSON.stringify({ ...old, trigger: 9 })))).toEqual(event);
  });

  it("ignores fields it does not know and accepts content-type parameters", () => {
    const json = { ...JSON.parse(encodeJobCompletedEvent(event).value.toString()), addedLater: 1 };
    expect(decodeJobCompletedEvent(Buffer.from(JSON.stringify(json)), "application/json; charset=utf-8")).toEqual(event);
  });

  const bad: [string, Buffer | null, string | undefined, string][] = [
    ["no value", null, undefined, "event"],
    ["empty value", Buffer.alloc(0), undefined, "event"],
    ["not JSON", Buffer.from("{not json"), "application/json", "event"],
    ["wrong shape", Buffer.from('{"jobId": 5}'), "application/json", "event"],
    ["unknown content type", Buffer.from("x"), "text/plain", "event"],
    ["garbage protobuf", Buffer.from([0xff, 0xff, 0xff]), "application/x-protobuf", "event"],
    ["missing jobId", Buffer.from('{"executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}'), undefined, "event.jobId"],
    ["missing executionId", Buffer.from('{"jobId":"j","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_SUCCEEDED"}'), undefined, "event.executionId"],
    ["missing completedAt", Buffer.from('{"jobId":"j","executionId":"e","result":"EXECUTION_RESULT_SUCCEEDED"}'), undefined, "event.completedAt"],
    ["missing result", Buffer.from('{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z"}'), undefined, "event.result"],
    ["running result", Buffer.from('{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":"EXECUTION_RESULT_RUNNING"}'), undefined, "event.result"],
    ["unknown result number", Buffer.from('{"jobId":"j","executionId":"e","completedAt":"2040-01-01T00:00:00Z","result":9}'), undefined, "event.result"],
  ];
  it.each(bad)("rejects %s with INVALID_ARGUMENT naming the field", (_what, value, contentType, field) => {
    expect(() => decodeJobCompletedEvent(value, contentType)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field }));
  });
});
