#!/usr/bin/env bash
# Runs `npm test` on another Node.js major version (default 24) with the NEWEST dependency
# versions that package.json's ranges allow - the other end of what users can get: `npm ci` on
# the machine's Node.js 20 tests the lockfile's versions, the lowest of the ranges.
# Works on a copy of this checkout (tracked and untracked, not ignored, files) in a scratch
# folder, so this checkout's node_modules and lockfile stay as they are. Prints the versions it
# resolved, and fails on a failing test or a Node.js warning that a test provoked.
#   scripts/test-on-node.sh [major] [jest args...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
major="${1:-24}"
shift || true
bin="$(bash "$repo/scripts/node-runtime.sh" "$major")"
export PATH="$bin:$PATH"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$repo" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$scratch"
cd "$scratch"
rm -f package-lock.json
echo "Node.js $(node --version), npm $(npm --version): newest dependencies within package.json's ranges"
npm install --no-audit --no-fund --silent
node -e '
const { readFileSync } = require("node:fs");
for (const name of ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node", "kafkajs", "croner"]) {
  console.log(`  ${name} ${JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")).version}`);
}'
log="$(mktemp)"
status=0
npm test -- "$@" 2>&1 | tee "$log" || status=$?
if grep -E "\(node:[0-9]+\) [A-Za-z]+Warning" "$log"; then echo "Node.js $major printed the warnings above"; status=1; fi
rm -f "$log"
exit "$status"
