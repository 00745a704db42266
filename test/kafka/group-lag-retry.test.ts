/**
 * readGroupLag retries the committed-offsets read on retriable errors; no retry may outlive the
 * call. (It read both offsets at once: when the end offsets failed first it rejected and
 * disconnected the admin while the retries went on against it, up to 6.3 s of timers.)
 *
 * The admin is a stand-in that fails in a chosen order, which a real broker cannot be made to
 * do; kafka-fresh-broker.broker.test.ts checks the retry itself against a real broker.
 */
import type { Kafka } from "kafkajs";
import { readGroupLag } from "../../src/kafka/group-lag.js";

function fakeKafka() {
  const log: string[] = [];
  let connected = false;
  const retriable = Object.assign(new Error("The coordinator is loading and hence can't process requests"), { retriable: true, name: "KafkaJSProtocolError" });
  const admin = {
    connect: async () => {
      connected = true;
      log.push("connect");
    },
    disconnect: async () => {
      connected = false;
      log.push("disconnect");
    },
    fetchOffsets: async () => {
      log.push(connected ? "fetchOffsets" : "fetchOffsets AFTER DISCONNECT");
      throw retriable;
    },
    fetchTopicOffsets: async () => {
      log.push("fetchTopicOffsets");
      throw Object.assign(new Error("This server does not host this topic-partition"), { retriable: false });
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, log };
}

it("does not go on calling the admin after readGroupLag has rejected and disconnected it", async () => {
  const { kafka, log } = fakeKafka();
  await expect(readGroupLag(kafka, "g", "t", [20, 20, 20, 20])).rejects.toMatchObject({ code: "SERVER_ERROR" });
  const atSettle = [...log];
  // Longer than every delay together.
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(atSettle).toContain("disconnect");
  expect(log).toEqual(atSettle);
});
