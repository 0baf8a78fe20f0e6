#!/usr/bin/env bash
# run-import-bench.sh: `docker import` and `docker load` of a large image through the docker CLI,
# berthd against Debian's dockerd 20.10 (containerd 1.6, overlay2), in one run, interleaved.
# A benchmark, not a test (not in CTest).
#
#   bench/run-import-bench.sh                 (as root; ~1-2 min)
#   ROUNDS=3 FILES=1000 bench/run-import-bench.sh
#
# The image is the busybox rootfs (tests/fixtures/make-rootfs.sh) plus FILES files of 4 KiB
# and one of 64 MiB, random data (~86 MB). Each round imports a tar of it with one file
# changed, so no daemon finds the layer it already has, into each daemon in turns; then
# `docker load` into each daemon of another variant (saved by berthd, which then removes it:
# neither daemon has its layer). Prints the medians (ms) and berth ÷ dockerd.
# Environment: BERTH_BUILD (default <repo>/build), ROUNDS (5), FILES (5000), DOCKER_CLI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-import-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
ROUNDS=${ROUNDS:-5} FILES=${FILES:-5000}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
for c in dockerd containerd python3 tar "$DOCKER_CLI" "$BERTH_BUILD/cmd/berthd/berthd"; do
  command -v "$c" >/dev/null || { echo "run-import-bench.sh: $c is missing" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-import-bench.XXXXXX)
chmod 0711 "$T"
CG_NAME="berth-importbench-$$" CTD_SOCK="$T/containerd.sock" CTD_PID='' DOCKERD_PID='' BERTHD_PID='' FAILS=0
BERTH_SOCK=$T/berth.sock
source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
source "$here/lib/berthd_bench.bash"

cleanup() {
  set +e
  stop_bench_berthd importbench bimpb0 berth_importbench
  docker_cleanup 0 "import bench" >/dev/null
}
trap cleanup EXIT
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"

# --- the image's files ---
"$repo/tests/fixtures/make-rootfs.sh" "$T/rootfs" >/dev/null
mkdir -p "$T/rootfs/data"
python3 - "$T/rootfs/data" "$FILES" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i // 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        f.write(os.urandom(4096))
with open(os.path.join(d, "big"), "wb") as f:
    for _ in range(64 * 256):
        f.write(os.urandom(4096))
PY
echo "# image: $(du -sm "$T/rootfs" | cut -f1) MB, $(find "$T/rootfs" | wc -l) entries"

# --- the daemons ---
start_docker_daemons >/dev/null
DOCKERD_HOST=$DOCKER_HOST
start_bench_berthd importbench bimpb0 berth_importbench

ms() { echo $(($(date +%s%N) / 1000000)); }
timed() {  # timed HOST CMD...: runs the docker CLI against HOST, prints its wall time in ms
  local host=$1 t0
  shift
  t0=$(ms)
  DOCKER_HOST=$host "$DOCKER_CLI" "$@" >/dev/null
  echo $(($(ms) - t0))
}
B_IMPORT=() D_IMPORT=() B_LOAD=() D_LOAD=()
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r" >"$T/rootfs/data/round"
  tar -C "$T/rootfs" -cf "$T/image.tar" .
  sync
  if ((r % 2)); then
    B_IMPORT+=("$(timed "unix://$BERTH_SOCK" import "$T/image.tar" "bench/import:$r")")
    D_IMPORT+=("$(timed "$DOCKERD_HOST" import "$T/image.tar" "bench/import:$r")")
  else
    D_IMPORT+=("$(timed "$DOCKERD_HOST" import "$T/image.tar" "bench/import:$r")")
    B_IMPORT+=("$(timed "unix://$BERTH_SOCK" import "$T/image.tar" "bench/import:$r")")
  fi
  # docker load: another variant of the image (neither daemon has its layer), imported into
  # berthd, saved, and removed from it again.
  echo "load round $r" >"$T/rootfs/data/round"
  tar -C "$T/rootfs" -cf "$T/image.tar" .
  DOCKER_HOST="unix://$BERTH_SOCK" "$DOCKER_CLI" import "$T/image.tar" "bench/load:$r" >/dev/null
  DOCKER_HOST="unix://$BERTH_SOCK" "$DOCKER_CLI" save -o "$T/save.tar" "bench/load:$r"
  DOCKER_HOST="unix://$BERTH_SOCK" "$DOCKER_CLI" rmi "bench/load:$r" >/dev/null
  sync
  if ((r % 2)); then
    D_LOAD+=("$(timed "$DOCKERD_HOST" load -q -i "$T/save.tar")")
    B_LOAD+=("$(timed "unix://$BERTH_SOCK" load -q -i "$T/save.tar")")
  else
    B_LOAD+=("$(timed "unix://$BERTH_SOCK" load -q -i "$T/save.tar")")
    D_LOAD+=("$(timed "$DOCKERD_HOST" load -q -i "$T/save.tar")")
  fi
  rm -f "$T/save.tar"
done

python3 - "${B_IMPORT[*]}" "${D_IMPORT[*]}" "${B_LOAD[*]}" "${D_LOAD[*]}" <<'PY'
import statistics, sys
bi, di, bl, dl = ([int(x) for x in a.split()] for a in sys.argv[1:5])
print("| %d rounds, ms (median; all) | berth | dockerd 20.10 | berth ÷ dockerd |" % len(bi))
print("|---|---:|---:|---:|")
for name, b, d in (("docker import", bi, di), ("docker load", bl, dl)):
    mb, md = statistics.median(b), statistics.median(d)
    print("| %s | %.0f (%s) | %.0f (%s) | %.2f |" % (name, mb, " ".join(map(str, b)), md, " ".join(map(str, d)), mb / md))
PY
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
