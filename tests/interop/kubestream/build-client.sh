#!/bin/bash
# Builds the Go interop client (client/main.go) in GOPATH mode against
# Debian's golang-github-docker-spdystream-dev and
# golang-github-gorilla-websocket-dev (/usr/share/gocode): no module proxy,
# no network. Usage: build-client.sh OUTPUT GOCACHE_DIR
set -euo pipefail
out=$1
cache=$2
here=$(cd "$(dirname "$0")" && pwd)
for pkg in github.com/docker/spdystream github.com/gorilla/websocket; do
  if [ ! -d "/usr/share/gocode/src/$pkg" ]; then
    echo "build-client.sh: /usr/share/gocode/src/$pkg is missing (scripts/setup.sh installs it)" >&2
    exit 1
  fi
done
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$cache"
env GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= GOPROXY=off GOCACHE="$cache" \
  go build -o "$out" "$here/client/main.go"
