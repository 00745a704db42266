// Jest globalTeardown: stops the broker that kafka-global-setup.js started (never an external one).
const { spawnSync } = require("node:child_process");
const { rmSync } = require("node:fs");
const { join } = require("node:path");

module.exports = async function kafkaGlobalTeardown() {
  if (process.env.K1S0_KAFKA_STARTED_BY_TESTS !== "1") return;
  const root = join(__dirname, "..", "..");
  spawnSync("bash", [join(root, "scripts", "kafka.sh"), "stop"], { cwd: root, stdio: "inherit" });
  rmSync(process.env.KAFKA_STATE_DIR, { recursive: true, force: true });
};
