import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { GetJobRequestSchema, SchedulerService } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { DEFAULT_RETRY_POLICY, isTransient, retryInterceptor } from "../../src/grpc/retry-interceptor.js";

function request(signal: AbortSignal = new AbortController().signal): UnaryRequest {
  return {
    stream: false,
    service: SchedulerService,
    method: SchedulerService.method.getJob,
    requestMethod: "POST",
    url: "http://x",
    signal,
    header: new Headers(),
    contextValues: undefined as never,
    message: create(GetJobRequestSchema, { jobId: "j" }),
  } as unknown as UnaryRequest;
}

const ok = { stream: false } as unknown as UnaryResponse;
const policy = { maxAttempts: 4, initialBackoffMs: 1, multiplier: 2, maxBackoffMs: 4 };

describe("retries", () => {
  it("classifies transient failures structurally", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(isTransient(new ConnectError("x", Code.Unavailable))).toBe(true);
    // CANCELLED as a status the server sent is not retried; a stream cancelled by a dying
    // connection carries the Node.js error that says so.
    expect(isTransient(new ConnectError("x", Code.Canceled))).toBe(false);
    expect(isTransient(new ConnectError("x", Code.Canceled, undefined, undefined, { code: "ERR_HTTP2_STREAM_CANCEL" }))).toBe(true);
    expect(isTransient(new ConnectError("x", Code.Aborted, undefined, undefined, reset))).toBe(true);
    expect(isTransient(new ConnectError("x", Code.Internal, undefined, undefined, { cause: { code: "ERR_HTTP2_STREAM_ERROR" } }))).toBe(true);
    // A limit reached (the server's job cap, the client's response cap) is reached again: not retried.
    for (const code of [Code.ResourceExhausted, Code.Internal, Code.InvalidArgument, Code.NotFound, Code.FailedPrecondition, Code.DeadlineExceeded, Code.Unauthenticated]) {
      expect(isTransient(new ConnectError("x", code))).toBe(false);
    }
  });

  it("retries transient failures up to maxAttempts, then gives up with the last error", async () => {
    let calls = 0;
    const succeedThird = retryInterceptor(policy, () => 1)(async () => {
      if (++calls < 3) throw new ConnectError("down", Code.Unavailable);
      return ok;
    });
    await expect(succeedThird(request())).resolves.toBe(ok);
    expect(calls).toBe(3);

    calls = 0;
    const never = retryInterceptor(policy, () => 1)(async () => {
      calls++;
      throw new ConnectError(`down ${calls}`, Code.Unavailable);
    });
    await expect(never(request())).rejects.toThrow("down 4");
    expect(calls).toBe(4);
  });

  it("does not retry what the server refused on purpose", async () => {
    let calls = 0;
    const call = retryInterceptor(policy)(async () => {
      calls++;
      throw new ConnectError("no", Code.InvalidArgument);
    });
    await expect(call(request())).rejects.toThrow("no");
    expect(calls).toBe(1);
  });

  it("waits with full jitter within the exponential bound", async () => {
    const bounds: number[] = [];
    const realSetTimeout = global.setTimeout;
    const spy = jest.spyOn(global, "setTimeout").mockImplementation(((fn: () => void, ms: number) => {
      bounds.push(ms);
      return realSetTimeout(fn, 0);
    }) as typeof setTimeout);
    try {
      const call = retryInterceptor({ maxAttempts: 5, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 300 }, () => 0.5)(async () => {
        throw new ConnectError("down", Code.Unavailable);
      });
      await expect(call(request())).rejects.toThrow("down");
    } finally {
      spy.mockRestore();
    }
    expect(bounds).toEqual([50, 100, 150, 150]);
  });

  it("stops at once when the call's signal aborts (deadline or caller), even mid-backoff", async () => {
    const controller = new AbortController();
    let calls = 0;
    const call = retryInterceptor({ ...DEFAULT_RETRY_POLICY, initialBackoffMs: 60_000, maxBackoffMs: 60_000 }, () => 1)(async () => {
      calls++;
      throw new ConnectError("down", Code.Unavailable);
    });
    const pending = call(request(controller.signal));
    setImmediate(() => controller.abort(new ConnectError("deadline", Code.DeadlineExceeded)));
    await expect(pending).rejects.toThrow("deadline");
    expect(calls).toBe(1);
    const aborted = new AbortController();
    aborted.abort();
    await expect(call(request(aborted.signal))).rejects.toThrow("down");
  });
});
