/**
 * Connection options without a broker: broker address checks and kafkajs logging defaults.
 */
import * as net from "node:net";
import type { LogEntry } from "kafkajs";
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
