#!/usr/bin/env bash
# run-userns-bench.sh: userns-remap, berth against dockerd 20.10, side by side in one run.
# A benchmark, not a test (not in CTest). Prints markdown tables; writes nothing into the
# repository.
#
#   bench/run-userns-bench.sh            (as root; a few minutes)
#   N=10 bench/run-userns-bench.sh       (a quick try)
#
# Measures:
#   store   what makes an image usable by remapped containers. berth: nothing per image (one
#           idmapped view of the store, mounted when berthd starts: its start time with and
#           without remap is shown). dockerd: its separate DATA_ROOT/UID.GID store, so the image
#           is imported a second time with chowned layers: the import's time and the store's
#           size (du) with and without remap.
#   run     `run --rm IMAGE /bin/true` (--network none): remapped and --userns=host on the same
#           daemon, for berth and for dockerd (both started with --userns-remap).
# The image: the busybox rootfs plus FILES small files (default 5000 x 4 KiB) and one 64 MiB
# file, so that the per-file chown of a remapped store shows.
#
# Environment: BERTH_BUILD (default <repo>/build), N (runs per case, default 30), WARMUP (3),
#   FILES (5000), DOCKER_CLI (default /usr/local/bin/docker).
# Uses a test-only user h14u-bench-PID with a free 65536-id range, removed at exit (its lines
# in /etc/subuid and /etc/subgid too); bridge b14u9, nft table berth_h14u9, cgroups h14u-bench-*.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-userns-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-30} WARMUP=${WARMUP:-3} FILES=${FILES:-5000}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
MAKE_ROOTFS=$repo/tests/fixtures/make-rootfs.sh
TIMER=$here/lib/engine_timer.py
for c in dockerd containerd python3 useradd userdel "$DOCKER_CLI" "$BERTH_BUILD/cmd/berthd/berthd"; do
  command -v "$c" >/dev/null || { echo "run-userns-bench.sh: $c is missing" >&2; exit 1; }
done

T=$(mktemp -d /tmp/h14u-bench.XXXXXX)
chmod 0711 "$T"
CG_NAME="h14u-bench-$$" CTD_SOCK="$T/containerd.sock" CTD_PID='' DOCKERD_PID='' BERTHD_PID='' FAILS=0
BUSER="h14u-bench-$$"
source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"

cleanup() {
  set +e
  if [[ -n "$BERTHD_PID" ]]; then
    DOCKER_HOST="unix://$T/berth.sock" timeout 30 "$DOCKER_CLI" rm -f $(DOCKER_HOST="unix://$T/berth.sock" "$DOCKER_CLI" ps -aq) >/dev/null 2>&1
    stop_pid "$BERTHD_PID" berthd
  fi
  ip link del b14u9 2>/dev/null
  nft delete table ip berth_h14u9 2>/dev/null
  for f in /etc/subuid /etc/subgid; do grep -q "^$BUSER:" "$f" 2>/dev/null && sed -i "/^$BUSER:/d" "$f"; done
  id "$BUSER" >/dev/null 2>&1 && userdel "$BUSER"
  remove_cgroups "h14u-bench-berth-$$"
  docker_cleanup 0 "userns bench" >/dev/null
}
trap cleanup EXIT

# --- the test user and its range ---
useradd --system --user-group --no-create-home --shell /bin/false "$BUSER"
B=$(python3 -c '
import os
end = 100000
for f in ("/etc/subuid", "/etc/subgid"):
    if os.path.exists(f):
        for l in open(f):
            p = l.strip().split(":")
            if len(p) == 3 and p[1].isdigit() and p[2].isdigit(): end = max(end, int(p[1]) + int(p[2]))
print(end)')
echo "$BUSER:$B:65536" >>/etc/subuid
echo "$BUSER:$B:65536" >>/etc/subgid

# --- the image ---
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
mkdir -p "$T/rootfs/data"
python3 - "$T/rootfs/data" "$FILES" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
block = os.urandom(4096)
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i // 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        f.write(block)
with open(os.path.join(d, "big"), "wb") as f:
    for _ in range(64 * 256):
        f.write(os.urandom(4096))
PY
tar -C "$T/rootfs" -cf "$T/image.tar" .
IMAGE_MB=$(du -sm "$T/rootfs" | cut -f1)
ms() { echo $(($(date +%s%N) / 1000000)); }

# --- berthd: start time with and without remap, then a remapped daemon for the runs ---
start_berthd() {  # start_berthd DATA [flags]: sets BERTHD_PID and START_MS (spawn to READY)
  local data=$1 t0 line
  shift
  rm -f "$T/notify"; mkfifo "$T/notify"
  t0=$(ms)
  "$BERTH_BUILD/cmd/berthd/berthd" --data-root "$data" --exec-root "$data.exec" -H "unix://$T/berth.sock" \
    --pidfile "$T/berthd.pid" --config-file "$T/berthd.json" --cgroup-parent "h14u-bench-berth-$$" \
    --bridge b14u9 --firewall-table berth_h14u9 --cri=false --notify-fd 3 "$@" 3>"$T/notify" >>"$T/berthd.log" 2>&1 &
  BERTHD_PID=$!
  read -r line <"$T/notify"
  [[ $line == READY ]] || { echo "berthd did not start: $line" >&2; exit 1; }
  START_MS=$(($(ms) - t0))
}
echo '{}' >"$T/berthd.json"
BERTH_START_PLAIN=() BERTH_START_REMAP=()
for _ in 1 2 3; do
  start_berthd "$T/berth"
  BERTH_START_PLAIN+=("$START_MS")
  stop_pid "$BERTHD_PID" berthd; BERTHD_PID=''
  start_berthd "$T/berth" --userns-remap "$BUSER"
  BERTH_START_REMAP+=("$START_MS")
  stop_pid "$BERTHD_PID" berthd; BERTHD_PID=''
done
start_berthd "$T/berth" --userns-remap "$BUSER"
export DOCKER_HOST="unix://$T/berth.sock" DOCKER_CONFIG="$T/cli"
mkdir -p "$T/cli"
t0=$(ms); "$DOCKER_CLI" import "$T/image.tar" bench:img >/dev/null; BERTH_IMPORT=$(($(ms) - t0))
BERTH_STORE_MB=$(du -sm "$T/berth/snapshots" | cut -f1)

# --- dockerd: the same image without and with remap (its UID.GID store) ---
DOCKERD_IMPORT=() DOCKERD_STORE=()
for mode in plain remap; do
  flags=()
  [[ $mode == remap ]] && flags=(--userns-remap "$BUSER")
  start_docker_daemons "${flags[@]}" >/dev/null
  t0=$(ms); "$DOCKER_CLI" import "$T/image.tar" bench:img >/dev/null; DOCKERD_IMPORT+=($(($(ms) - t0)))
  root=$("$DOCKER_CLI" info -f '{{.DockerRootDir}}')
  DOCKERD_STORE+=("$(du -sm "$root/overlay2" | cut -f1)")
  [[ $mode == remap ]] && DOCKERD_ROOT=$root
  [[ $mode == plain ]] && { stop_pid "$DOCKERD_PID" dockerd; stop_pid "$CTD_PID" containerd; DOCKERD_PID='' CTD_PID=''; }
done

# --- run --rm: remapped vs --userns=host on each daemon ---
SPEC=$T/spec.txt RES=$T/results.txt
: >"$RES"
cat >"$SPEC" <<EOF
case run/berth-remap
step env DOCKER_HOST=unix://$T/berth.sock $DOCKER_CLI run --rm --network none bench:img /bin/true
case run/berth-userns-host
step env DOCKER_HOST=unix://$T/berth.sock $DOCKER_CLI run --rm --network none --userns=host bench:img /bin/true
case run/dockerd-remap
step env DOCKER_HOST=unix://$T/docker.sock $DOCKER_CLI run --rm --network none bench:img /bin/true
case run/dockerd-userns-host
step env DOCKER_HOST=unix://$T/docker.sock $DOCKER_CLI run --rm --network none --userns=host bench:img /bin/true
EOF
python3 "$TIMER" seq "$SPEC" "$N" "$WARMUP" "$RES"

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "Image: busybox + $FILES x 4 KiB files + 64 MiB ($IMAGE_MB MB unpacked); range $B+65536."
echo
echo "| Making the image usable by remapped containers | berth (idmapped view) | dockerd 20.10 (UID.GID store) |"
echo "|---|---|---|"
echo "| extra disk for the remapped copy | 0 MB (one store: $BERTH_STORE_MB MB) | ${DOCKERD_STORE[1]} MB (beside ${DOCKERD_STORE[0]} MB unmapped) |"
echo "| extra time per image | 0 ms (import once: $BERTH_IMPORT ms) | ${DOCKERD_IMPORT[1]} ms import into $DOCKERD_ROOT (unmapped import ${DOCKERD_IMPORT[0]} ms) |"
echo "| daemon start, median of 3 | $(median "${BERTH_START_PLAIN[@]}") ms plain, $(median "${BERTH_START_REMAP[@]}") ms with remap | — |"
echo
python3 - "$RES" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, ms = line.rstrip("\n").split("\t")
    runs.setdefault(label, []).append(float(ms))
med = {k: statistics.median(v) for k, v in runs.items()}
print("| run --rm /bin/true (median ms, n=%d) | remapped | --userns=host | remapped/host |" % len(runs["run/berth-remap"]))
print("|---|---:|---:|---:|")
for eng in ("berth", "dockerd"):
    r, h = med["run/%s-remap" % eng], med["run/%s-userns-host" % eng]
    print("| %s | %.0f | %.0f | %.2f |" % (eng, r, h, r / h))
print("| berth/dockerd | %.2f | %.2f | |" % (med["run/berth-remap"] / med["run/dockerd-remap"],
                                          med["run/berth-userns-host"] / med["run/dockerd-userns-host"]))
PY
