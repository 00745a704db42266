import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/k1s0/system/scheduler/v1/errors_pb.js";
import { SCHEDULER_ERROR_CODES, SchedulerError } from "@k1s0/scheduler-client";
import { toConnectError, toSchedulerError } from "../../src/mapping/error-mapping.js";

/** Simulates the wire: details are encoded as a server sends them, as a client receives them. */
function overTheWire(err: ConnectError): ConnectError {
  const wire = new ConnectError(err.rawMessage, err.code);
  wire.details = err.details.map((d) =>
    "desc" in d ? { type: d.desc.typeName, value: toBinary(ErrorDetailSchema, create(ErrorDetailSchema, d.value)) } : d,
  );
  return wire;
}

describe("toConnectError and toSchedulerError", () => {
  it.each(SCHEDULER_ERROR_CODES)("round-trips %s with its field through gRPC status and ErrorDetail", (code) => {
    const original = new SchedulerError(`something about ${code}`, code, { field: "schedule.expression" });
    const back = toSchedulerError(overTheWire(toConnectError(original)));
    expect(back.code).toBe(code);
    expect(back.message).toContain(`something about ${code}`);
    expect(back.cause).toBeInstanceOf(ConnectError);
  });

  it("keeps the field of domain errors", () => {
    const original = new SchedulerError("bad", "INVALID_SCHEDULE", { field: "schedule.timezone" });
    expect(toSchedulerError(overTheWire(toConnectError(original))).field).toBe("schedule.timezone");
  });

  it("carries the existing job's id of JOB_ALREADY_EXISTS as gRPC ALREADY_EXISTS with ErrorDetail.existing_job_id", () => {
    const original = new SchedulerError("key taken", "JOB_ALREADY_EXISTS", { field: "key", existingJobId: "job-7" });
    const wire = toConnectError(original);
    expect(wire.code).toBe(Code.AlreadyExists);
    const back = toSchedulerError(overTheWire(wire));
    expect([back.code, back.field, back.existingJobId]).toEqual(["JOB_ALREADY_EXISTS", "key", "job-7"]);
    expect(toSchedulerError(overTheWire(toConnectError(new SchedulerError("gone", "JOB_NOT_FOUND")))).existingJobId).toBeUndefined();
  });

  it("maps gRPC statuses without an ErrorDetail (another server, a proxy)", () => {
    const cases: [Code, string][] = [
      [Code.NotFound, "JOB_NOT_FOUND"],
      [Code.InvalidArgument, "INVALID_ARGUMENT"],
      [Code.FailedPrecondition, "INVALID_STATE"],
      [Code.DeadlineExceeded, "TIMEOUT"],
      [Code.Unavailable, "SERVER_ERROR"],
      [Code.Internal, "SERVER_ERROR"],
      [Code.Unauthenticated, "UNAUTHENTICATED"],
      [Code.PermissionDenied, "UNAUTHENTICATED"],
      [Code.AlreadyExists, "JOB_ALREADY_EXISTS"],
    ];
    for (const [status, code] of cases) {
      const err = toSchedulerError(new ConnectError("msg", status));
      expect(err.code).toBe(code);
      expect(err.field).toBeUndefined();
    }
  });

  it("maps ERROR_REASON_UNSPECIFIED (and unknown reasons) to SERVER_ERROR whatever the status, as errors.proto says", () => {
    for (const status of [Code.NotFound, Code.FailedPrecondition, Code.InvalidArgument]) {
      for (const reason of [ErrorReason.UNSPECIFIED, 99 as ErrorReason]) {
        const err = new ConnectError("m", status, undefined, [{ desc: ErrorDetailSchema, value: { reason } }]);
        expect(toSchedulerError(overTheWire(err)).code).toBe("SERVER_ERROR");
      }
    }
    // Without any ErrorDetail (another server, a proxy) the status decides.
    expect(toSchedulerError(overTheWire(new ConnectError("m", Code.NotFound))).code).toBe("JOB_NOT_FOUND");
    expect(toSchedulerError(overTheWire(new ConnectError("m", Code.ResourceExhausted))).code).toBe("RESOURCE_EXHAUSTED");
  });

  it("wraps plain errors as SERVER_ERROR with the cause kept, and passes SchedulerErrors through", () => {
    const socket = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const err = toSchedulerError(socket);
    expect(err.code).toBe("SERVER_ERROR");
    expect(err.cause).toBe(socket);
    const domain = new SchedulerError("x", "TIMEOUT");
    expect(toSchedulerError(domain)).toBe(domain);
  });

  it("never leaks the message of an unexpected server-side error", () => {
    const err = toConnectError(new TypeError("secret internals at /srv/app.js:12"));
    expect(err.code).toBe(Code.Internal);
    expect(err.message).not.toContain("secret");
    const connectError = new ConnectError("as is", Code.Aborted);
    expect(toConnectError(connectError)).toBe(connectError);
  });
});
