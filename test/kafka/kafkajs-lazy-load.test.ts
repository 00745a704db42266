/**
 * kafkajs is loaded on the first subscribe()/start(), not on import: users of the gRPC client
 * alone never pay for it at start-up (bench/RESULTS.md, cold start). Checked in fresh processes,
 * since jest's own module registry already holds kafkajs for the broker tests.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

function kafkajsModulesLoadedAfter(script: string): number {
  const probe = `${script}\nprocess.stdout.write(String(Object.keys(require.cache).filter((f) => f.includes("/node_modules/kafkajs/")).length));`;
  return Number(execFileSync(process.execPath, ["--import", "tsx", "-e", probe], { cwd: root, encoding: "utf8" }));
}

describe("kafkajs is loaded lazily", () => {
  it("not by requiring the package, nor by constructing a subscriber or a publisher", () => {
    expect(
      kafkajsModulesLoadedAfter(
        [
          'const pkg = require("./src/index.ts");',
          'const { KafkaEventPublisher } = require("./src/kafka/kafka-event-publisher.ts");',
          'new pkg.KafkaJobCompletedSubscriber({ brokers: ["127.0.0.1:1"], groupId: "g" });',
          'new KafkaEventPublisher({ brokers: ["127.0.0.1:1"], topic: "t" });',
        ].join("\n"),
      ),
    ).toBe(0);
  });

  it("the probe itself sees kafkajs once something loads it", () => {
    expect(kafkajsModulesLoadedAfter('require("kafkajs");')).toBeGreaterThan(0);
  });
});
