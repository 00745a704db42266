/**
 * Connection options without a broker: broker address checks and kafkajs logging defaults.
 */
import * as net from "node:net";
import type { LogEntry } from "kafkajs";
import { KafkaJobCompletedSubscriber } from "@k1s0/scheduler-client";
import { kafkaConfig } from "../../src/kafka/kafka-options.js";
import { createKafka, loadKafkajs } from "../../src/kafka/kafkajs-loader.js";

describe("kafkaConfig broker addresses", () => {
  it.each(["kafka:9092", "127.0.0.1:9092", "[::1]:9092", "[2001:db8::5]:19092", "[fe80::1%eth0]:9092"])("accepts %s", (broker) => {
    expect(kafkaConfig({ brokers: [broker] }).brokers).toEqual([broker]);
  });

  it.each(["::1:9092", "[::1]", "[::1]:", "[not-v6]:9092", "kafka", "ka fka:9092", "[::1]:9092x"])("rejects %s", (broker) => {
    expect(() => kafkaConfig({ brokers: [broker] })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "options.brokers" }));
  });
});

describe("createKafka", () => {
  async function entriesLogged(kafka: Partial<Parameters<typeof kafkaConfig>[0]["kafka"]>): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    const client = await createKafka(kafkaConfig({ brokers: ["127.0.0.1:1"], kafka: { ...kafka, logCreator: () => (entry) => void entries.push(entry) } }));
    client.logger().error("probe", {});
    client.logger().info("probe", {});
    client.logger().debug("probe", {});
    return entries;
  }

  it("keeps kafkajs logging on when only a logCreator is given (kafkajs's default level, INFO)", async () => {
    expect((await entriesLogged({})).map((e) => e.label)).toEqual(["ERROR", "INFO"]);
  });

  it("honours an explicit logLevel next to a logCreator", async () => {
    const { logLevel } = await loadKafkajs();
    expect((await entriesLogged({ logLevel: logLevel.ERROR })).map((e) => e.label)).toEqual(["ERROR"]);
    expect(await entriesLogged({ logLevel: logLevel.NOTHING })).toEqual([]);
  });

  it("connects to a bracketed IPv6 broker address (kafkajs alone would dial host '[')", async () => {
    const server = net.createServer();
    const listening = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(0, "::1", () => resolve(true));
    });
    if (!listening) {
      console.warn("no IPv6 loopback on this machine: IPv6 connection test skipped");
      return;
    }
    const peers: string[] = [];
    server.on("connection", (socket) => {
      peers.push(String(socket.remoteAddress));
      socket.destroy();
    });
    const port = (server.address() as net.AddressInfo).port;
    const client = await createKafka(kafkaConfig({ brokers: [`[::1]:${port}`], kafka: { retry: { retries: 0 }, connectionTimeout: 1_000 } }));
    const admin = client.admin();
    await expect(admin.connect()).rejects.toThrow();
    await admin.disconnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(peers.length).toBeGreaterThan(0);
    expect(peers[0]).toBe("::1");
  });
});

describe("KafkaJobCompletedSubscriber options", () => {
  const base = { brokers: ["kafka:9092"], groupId: "g" };
  it.each([
    ["commitIntervalMs", -1],
    ["commitIntervalMs", 1.5],
    ["commitThreshold", 0],
    ["commitThreshold", "10"],
    ["partitionsConsumedConcurrently", 0],
    ["partitionsConsumedConcurrently", Number.NaN],
  ])("rejects %s: %p, naming the field", (name, value) => {
    expect(() => new KafkaJobCompletedSubscriber({ ...base, [name]: value })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: `options.${name}`, message: expect.stringContaining(String(value)) }),
    );
  });

  it("accepts the commit and concurrency settings", () => {
    expect(() => new KafkaJobCompletedSubscriber({ ...base, commitIntervalMs: 0, commitThreshold: 1, partitionsConsumedConcurrently: 6 })).not.toThrow();
  });

  it("refuses a heartbeat interval that is not below the session timeout, with the defaults in play", () => {
    // The default session timeout is 10 s: a 10 s heartbeat interval alone would make kafkajs throw later.
    expect(() => new KafkaJobCompletedSubscriber({ ...base, consumer: { heartbeatInterval: 10_000 } })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "options.consumer.heartbeatInterval", message: expect.stringContaining("10000 ms") }),
    );
    expect(() => new KafkaJobCompletedSubscriber({ ...base, consumer: { sessionTimeout: 30_000, heartbeatInterval: 10_000 } })).not.toThrow();
  });
});
