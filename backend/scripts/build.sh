#!/bin/sh
# Builds the production binary of the order service, ./cmd/orders.
#
# This is the one place that defines the release build flags; `make build` and
# the Dockerfile both call it, so a local binary and the image's binary are
# built the same way.
#
# Usage: scripts/build.sh [OUTPUT]      (default OUTPUT: bin/orders at the repo root)
# Environment:
#   VERSION       stamped into main.version (default: git describe, else "dev")
#   GOOS, GOARCH  passed through to go build (the Dockerfile cross-compiles with them)
set -eu

backend="$(cd "$(dirname "$0")/.." && pwd)"

out="${1:-$backend/../bin/orders}"
case "$out" in
/*) ;;
*) out="$(pwd)/$out" ;;
esac

version="${VERSION:-}"
if [ -z "$version" ]; then
	version="$(git -C "$backend" describe --tags --always --dirty 2>/dev/null || echo dev)"
fi

cd "$backend"
# Static binary without cgo; no local paths in it; no symbol table or DWARF.
# GOWORK=off: the binary is built from backend/go.mod alone, exactly as in the
# image, whose build context holds no go.work. -dwarf=false: the compiler skips
# the debug information -w would strip anyway, and the packages are compiled
# as make's tests compile them (Makefile GOFLAGS), so make build reuses them.
export CGO_ENABLED=0 GOWORK=off
exec go build -trimpath -gcflags=all=-dwarf=false -ldflags "-s -w -X main.version=${version}" -o "$out" ./cmd/orders
