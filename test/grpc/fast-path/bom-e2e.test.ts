/** The client's compiled decoder against protobuf-es on a string that starts with a byte order mark, end to end over both transports. */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { GetJobResponseSchema } from "../../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { JobStatus } from "../../../gen/k1s0/system/scheduler/v1/job_pb.js";

it("both transports of the client read a job name starting with U+FEFF the same way", async () => {
  const msg = toBinary(GetJobResponseSchema, create(GetJobResponseSchema, {
    job: { id: "j1", name: "\uFEFFdaily", payloadJson: "{}", status: JobStatus.PENDING, schedule: { kind: { case: "cron", value: { expression: "0 2 * * *" } } } },
  }));
  const body = Buffer.alloc(5 + msg.length);
  body.writeUInt32BE(msg.length, 1);
  Buffer.from(msg).copy(body, 5);
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => undefined);
    stream.resume();
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const names: Record<string, string> = {};
  for (const transport of ["node-http2", "connect"] as const) {
    const client = new GrpcSchedulerClient(url, { transport, retry: false });
    names[transport] = JSON.stringify((await client.getJob("j1")).name);
    await client.close();
  }
  await new Promise<void>((r) => server.close(() => r()));
  console.log(names);
  expect(names["node-http2"]).toBe(names.connect);
});
