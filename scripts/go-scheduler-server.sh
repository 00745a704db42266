#!/usr/bin/env bash
# The grpc-go SchedulerService server of test/grpc-go/server: an implementation of the
# contract nobody on this project wrote, for test/grpc-go/grpc-go-server.test.ts.
#
#   scripts/go-scheduler-server.sh [build]   build the server (or reuse the binary built from the
#                                            same sources) and print the binary's path
#   scripts/go-scheduler-server.sh check     exit 0 if a Go toolchain is there, 3 if not
#   scripts/go-scheduler-server.sh generate  regenerate test/grpc-go/server/gen/ from proto/ with
#                                            buf, protoc-gen-go and protoc-gen-go-grpc (installed
#                                            with `go install` into the cache folder; offline
#                                            once they are there)
#
# Binaries and plugins go to node_modules/.cache/go-bin/scheduler-server (git-ignored;
# K1S0_GO_BIN_DIR overrides). A binary is named by a hash of the Go sources, go.mod, go.sum and
# the Go version, so a changed source rebuilds and an unchanged one is reused. Go modules come
# from the Go module proxy (GOPROXY) and stay in the usual module cache. GO=/path/to/go picks the
# toolchain (default: `go` on PATH).
# Exit codes: 0 ok, 1 failure, 3 no Go toolchain on this machine.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
src="$repo/test/grpc-go/server"
cache="${K1S0_GO_BIN_DIR:-$repo/node_modules/.cache/go-bin/scheduler-server}"
go_cmd="${GO:-go}"
name="k1s0-scheduler-go-server"
# Code generator versions (pinned: the generated code is checked in).
protoc_gen_go_version="v1.36.12"
protoc_gen_go_grpc_version="v1.6.2"

log() { printf 'go-scheduler-server.sh: %s\n' "$*" >&2; }

need_go() {
  if ! command -v "$go_cmd" > /dev/null 2>&1; then
    log "FAILED: no Go toolchain ('$go_cmd' is not on PATH). The grpc-go test server needs Go 1.24 or newer: install it from https://go.dev/dl/ or set GO=/path/to/go."
    exit 3
  fi
  if ! go_version="$("$go_cmd" env GOVERSION 2> /dev/null)" || [ -z "$go_version" ]; then
    log "FAILED: '$go_cmd' does not work as a Go toolchain ('$go_cmd env GOVERSION' failed)."
    exit 3
  fi
}

build() {
  need_go
  local hash bin tmp started
  hash="$(
    cd "$src"
    {
      printf '%s\n' "$go_version"
      find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print | LC_ALL=C sort | while read -r f; do
        printf '%s\n' "$f"
        cat "$f"
      done
    } | sha256sum | cut -c1-16
  )"
  bin="$cache/$name-$hash"
  if [ -x "$bin" ]; then
    log "reusing $bin (sources unchanged)"
    printf '%s\n' "$bin"
    return
  fi
  mkdir -p "$cache"
  tmp="$(mktemp "$cache/.$name.XXXXXX")"
  started=$SECONDS
  log "building $name with $go_version (modules from ${GOPROXY:-$("$go_cmd" env GOPROXY)})"
  if ! (cd "$src" && CGO_ENABLED=0 "$go_cmd" build -trimpath -buildvcs=false -o "$tmp" .); then
    rm -f "$tmp"
    log "FAILED: go build of $src failed (see above)"
    exit 1
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$bin"
  # Binaries of older sources are of no further use.
  find "$cache" -maxdepth 1 -type f -name "$name-*" ! -name "$name-$hash" -delete 2> /dev/null || true
  log "built $bin in $((SECONDS - started)) s"
  printf '%s\n' "$bin"
}

install_plugin() {
  local cmd="$1" module="$2" version="$3" want="$4"
  if [ -x "$cache/$cmd" ] && [ "$("$cache/$cmd" --version 2> /dev/null)" = "$want" ]; then return; fi
  log "installing $module@$version into $cache"
  GOBIN="$cache" "$go_cmd" install "$module@$version"
}

generate() {
  need_go
  mkdir -p "$cache"
  install_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$protoc_gen_go_version" "protoc-gen-go $protoc_gen_go_version"
  install_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$protoc_gen_go_grpc_version" "protoc-gen-go-grpc ${protoc_gen_go_grpc_version#v}"
  local buf="$repo/node_modules/.bin/buf"
  [ -x "$buf" ] || { log "FAILED: $buf is missing (run npm ci)"; exit 1; }
  (cd "$repo" && PATH="$cache:$PATH" "$buf" generate --template test/grpc-go/buf.gen.yaml)
  log "generated $(find "$src/gen" -name '*.go' | wc -l) files in test/grpc-go/server/gen"
}

case "${1:-build}" in
  build) build ;;
  check) need_go; log "found $go_version" ;;
  generate) generate ;;
  *)
    log "usage: $0 [build|check|generate]"
    exit 1
    ;;
esac
