#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, integration as root, interop with Podman and Docker) through CTest,
# then each fuzz target briefly (label fuzz, its own clang tree build-fuzz).
# Arguments go to both ctest runs (e.g. -R unit.image, -L fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo
if [[ $(id -u) -ne 0 ]]; then
  echo "test: integration and interop tests need root (run as root: CI does)" >&2
  exit 1
fi
cmake --build build -j"$(nproc)"
status=0
# Unit tests run two at a time; integration, interop and e2e tests are RUN_SERIAL.
(cd build && ctest --output-on-failure --timeout 900 -j"$(nproc)" "$@") || status=$?
# Fuzz targets: built by clang with libFuzzer and ASan/UBSan in their own tree;
# each runs BERTH_FUZZ_SECONDS (20) from its seeds (docs/testing.md, "Fuzzing").
cmake -S . -B build-fuzz -DBERTH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz
(cd build-fuzz && ctest --output-on-failure -j"$(nproc)" "$@") || status=$?
exit "$status"
