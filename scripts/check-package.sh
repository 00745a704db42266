#!/usr/bin/env bash
# Packs the library (without a dist/ beforehand, as on a fresh clone) and uses the tarball as a
# consumer would: installs it into a scratch project, require()s it from CommonJS, imports it from
# ESM, type-checks a TypeScript file with moduleResolution node16 and bundler, runs a script
# against createTestServer and the bin, runs attw; then installs the package from git (the
# committed HEAD) the same way a project would from a git URL.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$repo"

# As on a fresh clone: no dist/. `npm pack` must build it (prepack).
rm -rf dist
tarball="$(npm pack --silent --pack-destination "$scratch" | tail -n 1)"
echo "packed $tarball"
for entry in dist/cjs/src/index.js dist/esm/src/index.js dist/cjs/src/index.d.ts dist/cjs/src/cli/main.js dist/esm/src/testing/index.js scripts/kafka.sh; do
  tar -tzf "$scratch/$tarball" "package/$entry" > /dev/null || { echo "the tarball lacks $entry"; exit 1; }
done
echo "  $(tar -tzf "$scratch/$tarball" | wc -l) files, dist/ built by prepack"

cd "$scratch"
printf '{ "name": "scratch-consumer", "private": true, "version": "0.0.0" }\n' > package.json
npm install --no-audit --no-fund --prefer-offline --silent "./$tarball"

echo "CommonJS require"
node -e '
const assert = require("node:assert");
const sdk = require("@k1s0/scheduler-client");
const testing = require("@k1s0/scheduler-client/testing");
assert.equal(typeof sdk.GrpcSchedulerClient, "function");
assert.equal(typeof sdk.InMemorySchedulerClient, "function");
assert.equal(typeof sdk.KafkaJobCompletedSubscriber, "function");
assert.equal(typeof testing.createTestServer, "function");
assert.ok(new sdk.SchedulerError("x", "TIMEOUT") instanceof Error);
'

echo "ESM import"
node --input-type=module -e '
import assert from "node:assert";
import { GrpcSchedulerClient, SchedulerError, JOB_COMPLETED_TOPIC } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
assert.equal(typeof GrpcSchedulerClient, "function");
assert.equal(typeof createTestServer, "function");
assert.equal(JOB_COMPLETED_TOPIC, "k1s0.system.scheduler.job_completed.v1");
assert.equal(new SchedulerError("x", "TIMEOUT").code, "TIMEOUT");
'

echo "TypeScript: moduleResolution node16 and bundler"
cp "$repo/scripts/package-check/consumer.ts" consumer.ts
for resolution in node16 bundler; do
  module=$([ "$resolution" = node16 ] && echo node16 || echo esnext)
  cat > "tsconfig.$resolution.json" <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "skipLibCheck": false, "target": "es2022",
  "module": "$module", "moduleResolution": "$resolution", "types": ["node"],
  "typeRoots": ["$repo/node_modules/@types"] }, "files": ["consumer.ts"] }
JSON
  "$repo/node_modules/.bin/tsc" -p "tsconfig.$resolution.json"
  echo "  $resolution: ok"
done

echo "a script against createTestServer (CommonJS and ESM)"
cat > run.cjs <<'JS'
const { GrpcSchedulerClient } = require("@k1s0/scheduler-client");
const { createTestServer } = require("@k1s0/scheduler-client/testing");
(async () => {
  const server = await createTestServer({ clock: "manual" });
  const client = new GrpcSchedulerClient(server.url);
  const job = await client.createJob({ name: "packed", schedule: { type: "interval", intervalMs: 60000 }, payload: { ok: true } });
  await server.advanceTime(180000);
  const executions = await client.getExecutions(job.id);
  await client.close();
  await server.close();
  if (executions.length !== 3) throw new Error(`expected 3 executions, got ${executions.length}`);
  console.log(`  cjs: job ${job.status}, ${executions.length} executions`);
})().catch((err) => { console.error(err); process.exit(1); });
JS
node run.cjs
cat > run.mjs <<'JS'
import { GrpcSchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";
const server = await createTestServer({ clock: "manual" });
const client = new GrpcSchedulerClient(server.url);
const job = await client.createJob({ name: "packed", schedule: { type: "cron", expression: "0 * * * *" }, payload: null });
await server.advanceTime(3 * 3600000);
const executions = await client.getExecutions(job.id);
await client.close();
await server.close();
if (executions.length !== 3) throw new Error(`expected 3 executions, got ${executions.length}`);
console.log(`  esm: job ${job.status}, ${executions.length} executions`);
JS
node run.mjs

echo "the k1s0-scheduler bin"
./node_modules/.bin/k1s0-scheduler cron next "0 2 * * *" --tz Asia/Tokyo --from 2040-01-01T00:00:00Z -n 1 | tee bin.out
grep -q "^2040-01-01T17:00:00.000Z" bin.out

echo "the Kafka broker script ships (for a service's own integration tests)"
KAFKA_VERSION=4.4.0 bash node_modules/@k1s0/scheduler-client/scripts/kafka.sh version | grep -qx "4.4.0"

echo "are the types wrong? (attw)"
"$repo/node_modules/.bin/attw" "$scratch/$tarball" --format ascii | tail -n 3
"$repo/node_modules/.bin/attw" "$scratch/$tarball" --quiet

echo "installed from git (npm builds dist/ in its clone: scripts/prepare.mjs)"
if git -C "$repo" rev-parse --verify -q HEAD > /dev/null; then
  mkdir "$scratch/from-git" && cd "$scratch/from-git"
  printf '{ "name": "scratch-git-consumer", "private": true, "version": "0.0.0" }\n' > package.json
  npm install --no-audit --no-fund --prefer-offline --silent "git+file://$repo#$(git -C "$repo" rev-parse HEAD)"
  node -e 'const sdk = require("@k1s0/scheduler-client"); if (typeof sdk.GrpcSchedulerClient !== "function") process.exit(1);'
  ./node_modules/.bin/k1s0-scheduler --version
fi
echo "package check passed"
