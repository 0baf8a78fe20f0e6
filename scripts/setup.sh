#!/usr/bin/env bash
# Set-up: installs every Debian package berth needs, builds it, and runs a
# first container from a local busybox bundle with berth-runtime.
#   scripts/setup.sh            install + build + demo run
#   scripts/setup.sh --no-demo  install + build only (used by the test command)
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run dependencies (the last three lines of BUILD_PKGS: rootless
# berthd's helpers, the microVM runtime with its guest kernel, and what
# `ninja vm-kernel` needs to build the project's own guest kernel), then the peers the tests and benchmarks compare
# against (never linked into berth).
BUILD_PKGS=(build-essential cmake ninja-build mold pkg-config ccache libseccomp-dev libcap-dev nlohmann-json3-dev
            libcli11-dev libfmt-dev libssl-dev libsqlite3-dev libarchive-dev libzstd-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
            libboost-dev libnl-3-dev libnl-route-3-dev libnftables-dev libldns-dev libcurl4-openssl-dev libtomlplusplus-dev libyaml-cpp-dev
            libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev containernetworking-plugins
            uidmap passt slirp4netns fuse-overlayfs
            qemu-system-x86 linux-image-cloud-amd64 kmod cpio
            linux-source-6.1 flex bison bc libelf-dev xz-utils)
TEST_PKGS=(skopeo umoci jq busybox-static iproute2 procps file python3 crun runc podman conmon catatonit
           docker.io containerd hyperfine linux-image-amd64
           python3-docker docker-compose bzip2 xz-utils curl nftables clang-19 libclang-rt-19-dev docker-registry apache2-utils openssl python3-cryptography
           golang-go golang-github-opencontainers-runtime-tools-dev golang-github-google-uuid-dev
           python3-grpcio python3-grpc-tools python3-protobuf
           golang-github-docker-spdystream-dev golang-github-gorilla-websocket-dev python3-websocket
           chromium chromium-driver python3-selenium firefox-esr)

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

# The product only: the test command builds the test binaries.
PRODUCT=(berthd berth berth-shim berth-init berth-runtime berth-vm-runner vm-guest-image)
# Ninja for a new build dir (an existing one keeps its generator): it compiles a
# target's sources while its dependencies still link, so both cores stay busy.
generator=()
[[ -f build/CMakeCache.txt ]] || generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target "${PRODUCT[@]}"

# Pod networking for the CRI (docs/architecture.md "Pod networking (CNI)"): a
# single-node default network, only when no CNI config is there yet (a
# cluster's network add-on, or the user, owns the dir once it writes one).
cni_dir=/etc/cni/net.d
if ! compgen -G "$cni_dir/*.conflist" >/dev/null && ! compgen -G "$cni_dir/*.conf" >/dev/null &&
   ! compgen -G "$cni_dir/*.json" >/dev/null; then
  install -D -m 0644 packaging/cni/10-berth.conflist "$cni_dir/10-berth.conflist"
fi

[[ "${1:-}" == "--no-demo" ]] && exit 0

# Install the binaries, start berthd (a running older one is replaced: its
# containers keep running under their monitors), make the local base image
# and run a first container.
cmake --install build --prefix /usr/local >/dev/null
getent group berth >/dev/null || groupadd --system berth
if [[ -f /run/berth/berthd.pid ]] && kill -0 "$(cat /run/berth/berthd.pid)" 2>/dev/null; then
  old=$(cat /run/berth/berthd.pid)
  kill -TERM "$old"
  while kill -0 "$old" 2>/dev/null; do sleep 0.1; done
fi
berth version --format 'berthd {{.Server.Version}} is running' # starts berthd when it is not running
berth image inspect busybox:latest >/dev/null 2>&1 || scripts/busybox-image.sh busybox:latest
berth run --rm busybox echo hello
