#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, integration as root, interop with Podman and Docker) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo
if [[ $(id -u) -ne 0 ]]; then
  echo "test: integration and interop tests need root (run as root: CI does)" >&2
  exit 1
fi
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --timeout 900 "$@"
