#!/usr/bin/env bash
# Builds grpc-go's official interop server (google.golang.org/grpc/interop/server) for
# test/interop/grpc-go-interop.test.ts and prints the binary's absolute path on stdout.
#
# The binary is installed into this checkout's node_modules/.cache/go-bin/ (git ignores
# node_modules/), one folder per grpc-go version, and reused while it is there. Modules come from
# the Go module proxy into Go's default module cache (GOPATH/GOMODCACHE are left alone), so
# downloads and compiled packages are shared by every run and every checkout on the machine.
#
# Usage: scripts/go-interop-server.sh            build if needed, print the path
#        scripts/go-interop-server.sh --rebuild  build even if a binary is cached
#
# Exit codes: 0 ok, 1 build failure, 3 no Go toolchain on this machine. A missing toolchain is a
# failure, not a skip: the interop suite decides whether it may skip (only outside CI).
set -euo pipefail

grpc_go_version="v1.76.0"
package="google.golang.org/grpc/interop/server"

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="$repo/node_modules/.cache/go-bin/grpc-go-$grpc_go_version"
binary="$bin_dir/server"

log() { printf 'go-interop-server.sh: %s\n' "$*" >&2; }

go_cmd="${GO:-go}"
if ! command -v "$go_cmd" >/dev/null 2>&1; then
  log "ERROR: no Go toolchain: '$go_cmd' is not on PATH ($PATH)."
  log "Install Go 1.24 or newer (https://go.dev/dl/) or set GO=/path/to/go; grpc-go's interop server cannot be built without it."
  exit 3
fi

if [ "${1:-}" != "--rebuild" ] && [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

log "building $package@$grpc_go_version with $("$go_cmd" version)"
start=$(date +%s)
# Install into a fresh folder and move it into place: an interrupted or concurrent build never
# leaves a half-written binary where the next run would reuse it.
mkdir -p "$repo/node_modules/.cache"
tmp="$(mktemp -d "$repo/node_modules/.cache/go-bin.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# GOTOOLCHAIN=local: never download another Go toolchain behind the caller's back.
# CGO_ENABLED=0: a static binary, no C compiler needed.
if ! GOBIN="$tmp" GOTOOLCHAIN=local CGO_ENABLED=0 "$go_cmd" install "$package@$grpc_go_version" >&2; then
  log "ERROR: go install $package@$grpc_go_version failed"
  exit 1
fi
mkdir -p "$bin_dir"
mv -f "$tmp/server" "$binary"
log "built in $(( $(date +%s) - start )) s: $binary"
echo "$binary"
