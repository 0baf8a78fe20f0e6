#!/usr/bin/env bash
# Set-up: installs every Debian package berth needs, builds it, and runs a
# first container from a local busybox bundle with berth-runtime.
#   scripts/setup.sh            install + build + demo run
#   scripts/setup.sh --no-demo  install + build only (used by the test command)
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run dependencies, then the peers the tests and benchmarks compare
# against (never linked into berth).
BUILD_PKGS=(build-essential cmake pkg-config libseccomp-dev libcap-dev nlohmann-json3-dev
            libcli11-dev libfmt-dev libssl-dev libsqlite3-dev libarchive-dev libzstd-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev)
TEST_PKGS=(skopeo umoci jq busybox-static iproute2 procps file python3 crun runc podman conmon catatonit
           docker.io containerd hyperfine uidmap qemu-system-x86 linux-image-amd64 cpio)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

[[ "${1:-}" == "--no-demo" ]] && exit 0

# First container: a busybox bundle built locally (nothing is pulled).
runtime=build/cmd/berth-runtime/berth-runtime
demo=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
../shared/fixtures/make-rootfs.sh "$demo/rootfs" >/dev/null
"$runtime" spec --bundle "$demo"
python3 - "$demo/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo hello from berth-runtime: pid $$, hostname $(hostname), user $(id -un)"]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
"$runtime" --root "$demo/state" run --bundle "$demo" "demo-$$"
