// Jest globalSetup: starts the real Kafka broker of scripts/kafka.sh for the Kafka tests and
// exports KAFKA_BROKERS to the test workers. An external broker can be given with KAFKA_BROKERS.
// Without Java (or if the broker cannot start) the Kafka tests are skipped with the reason
// printed - except under CI=true, where a missing broker is a failure.
const { spawnSync } = require("node:child_process");
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

module.exports = async function kafkaGlobalSetup() {
  if (process.env.KAFKA_BROKERS) return;
  const root = join(__dirname, "..", "..");
  // A broker of this run's own: concurrent runs never share (or stop) each other's, and the
  // watchdog stops it if this process dies without reaching globalTeardown (Ctrl-C).
  process.env.KAFKA_STATE_DIR = mkdtempSync(join(tmpdir(), "k1s0-kafka-"));
  const started = spawnSync("bash", [join(root, "scripts", "kafka.sh"), "start"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KAFKA_OWNER_PID: String(process.pid) },
  });
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(started.stdout ?? "")?.[1];
  if (started.status === 0 && brokers) {
    process.env.KAFKA_BROKERS = brokers;
    process.env.K1S0_KAFKA_STARTED_BY_TESTS = "1";
    return;
  }
  const reason =
    started.status === 3
      ? "no Java on this machine, so scripts/kafka.sh cannot run a Kafka broker"
      : `scripts/kafka.sh start failed (exit ${started.status}): ${(started.stderr ?? "").trim().split("\n").slice(-5).join(" | ")}`;
  if (process.env.CI === "true") {
    throw new Error(`CI needs the Kafka broker for the Kafka tests: ${reason}`);
  }
  process.env.K1S0_KAFKA_SKIP_REASON = reason;
  process.stderr.write(`\n[kafka] SKIPPING the Kafka broker tests (test/kafka/*.broker.test.ts): ${reason}\n\n`);
};
