#!/usr/bin/env bash
# run-compose-bench.sh: `up -d` and `down` of a 10-service Compose project, three ways in one run:
#   berth      `berth compose` against berthd
#   dc-berth   Debian's docker-compose 1.29 against berthd
#   dc-docker  Debian's docker-compose 1.29 against Docker 20.10 (dockerd + containerd, --bridge=none)
# A benchmark, not a test (not in CTest).
#
#   bench/run-compose-bench.sh                 (as root; a few minutes)
#   N=3 bench/run-compose-bench.sh             (a quick try)
#
# Both engines get the same busybox image (tests/fixtures/make-rootfs.sh, `import`ed into each as
# busybox:latest); nothing is pulled. The project: 10 services s01..s10 running a shell that waits
# on `sleep` and exits on SIGTERM (so a stop is not a 10 s timeout), all on the project's default
# network. Each engine has its own project name.
# Measures (interleaved: every round runs each engine once, the first rotating; wall time of the
# CLI, end to end):
#   up     `up -d` of the project from nothing (its `down` afterwards is untimed)
#   down   `down` of the running project (an untimed `up -d` after each brings it back)
# Environment: BERTH_BUILD (default <repo>/build), N (default 5), WARMUP (default 1),
#   DOCKER_CLI (default /usr/local/bin/docker), KEEP_RESULTS (a file for the raw results).
# shellcheck disable=SC2086 # $B, $CB and $CD are command lines: their words are meant to split
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-compose-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-5}
WARMUP=${WARMUP:-1}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
TIMER=(python3 "$here/lib/engine_timer.py")

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd docker-compose python3 "$DOCKER_CLI" "$MAKE_ROOTFS" "$BERTH_BUILD/cmd/berthd/berthd" \
  "$BERTH_BUILD/cmd/berth/berth" "$BERTH_BUILD/cmd/berth-shim/berth-shim" "$BERTH_BUILD/cmd/berth-init/berth-init"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-compose-bench.sh: missing $c" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-compose-bench.XXXXXX)
CG_NAME="berth-cbench-docker-$$"
CG_BERTH="berth-cbench-$$"
BRIDGE_BERTH="bcb-$$"
NFT_BERTH="berth_cbench_$$"
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID=''
RES=$T/results.tsv
: >"$RES"
F=$T/proj/compose.yaml
BH="unix://$T/berth.sock"

# The projects are taken down before the daemons stop (their networks are bridges on the host).
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n "$BERTHD_PID" ]] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    timeout 60 "$BERTH_BUILD/cmd/berth/berth" -H "$BH" compose -f "$F" -p cbberth down >/dev/null 2>&1
    DOCKER_HOST=$BH timeout 60 docker-compose -f "$F" -p cbdcberth down >/dev/null 2>&1
    local all=()
    mapfile -t all < <(timeout 10 "$DOCKER_CLI" -H "$BH" ps -aq 2>/dev/null)
    ((${#all[@]})) && timeout 20 "$DOCKER_CLI" -H "$BH" rm -f "${all[@]}" >/dev/null 2>&1
    local nets=()
    mapfile -t nets < <(timeout 10 "$DOCKER_CLI" -H "$BH" network ls -q --filter label=com.docker.compose.project 2>/dev/null)
    ((${#nets[@]})) && timeout 20 "$DOCKER_CLI" -H "$BH" network rm "${nets[@]}" >/dev/null 2>&1
  fi
  if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    timeout 60 docker-compose -f "$F" -p cbdocker down >/dev/null 2>&1
  fi
  stop_pid "$BERTHD_PID" berthd
  remove_cgroups "$CG_BERTH"
  ip link show "$BRIDGE_BERTH" >/dev/null 2>&1 && ip link del "$BRIDGE_BERTH"
  nft list table ip "$NFT_BERTH" >/dev/null 2>&1 && nft delete table ip "$NFT_BERTH"
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  docker_cleanup "$rc" "compose bench"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
mkdir -p "$T/proj"
{
  echo "services:"
  for i in $(seq -w 1 10); do
    echo "  s$i:"
    echo "    image: busybox:latest"
    echo "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 3600 & wait\"]"
  done
} >"$F"

# --- the daemons --------------------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
  -H "$BH" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --bridge "$BRIDGE_BERTH" --firewall-table "$NFT_BERTH" --config-file "$T/berthd.json" \
  --shim-path "$BERTH_BUILD/cmd/berth-shim/berth-shim" --init-path "$BERTH_BUILD/cmd/berth-init/berth-init" \
  --notify-fd 3 3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready $(tail -n 5 "$T/berthd.log")" >&2; exit 1; }
# shellcheck disable=SC2119 # no extra dockerd flags
start_docker_daemons >/dev/null
DH=$DOCKER_HOST
B="$BERTH_BUILD/cmd/berth/berth -H $BH compose -f $F -p cbberth"
CB="env DOCKER_HOST=$BH docker-compose -f $F -p cbdcberth"
CD="env DOCKER_HOST=$DH docker-compose -f $F -p cbdocker"
"$BERTH_BUILD/cmd/berth/berth" -H "$BH" import - busybox:latest <"$T/rootfs.tar" >/dev/null
"$DOCKER_CLI" import - busybox:latest <"$T/rootfs.tar" >/dev/null

# A first up and down of each (untimed): each must bring up 10 running containers, so a row
# cannot silently measure a failure.
for e in berth dc-berth dc-docker; do
  case $e in berth) cli=$B; h=$BH ;; dc-berth) cli=$CB; h=$BH ;; dc-docker) cli=$CD; h=$DH ;; esac
  out=$($cli up -d 2>&1) || { echo "run-compose-bench.sh: up ($e) failed: $out" >&2; exit 1; }
  running=$("$DOCKER_CLI" -H "$h" ps -q --filter label=com.docker.compose.service | wc -l)
  [[ $running == 10 ]] || { echo "run-compose-bench.sh: up ($e): $running containers running, expected 10" >&2; exit 1; }
  out=$($cli down 2>&1) || { echo "run-compose-bench.sh: down ($e) failed: $out" >&2; exit 1; }
done

spec() {  # spec NAME STEP POST: one case per engine; {cli} is the engine's compose command
  local name=$1 step=$2 post=$3 e cli
  for e in berth dc-berth dc-docker; do
    case $e in berth) cli=$B ;; dc-berth) cli=$CB ;; dc-docker) cli=$CD ;; esac
    echo "case $name/$e"
    echo "step ${step//\{cli\}/$cli}"
    echo "post ${post//\{cli\}/$cli}"
  done
}
measure() {  # measure NAME STEP POST
  spec "$@" >"$T/$1.spec"
  echo "## $1 (n=$N each, interleaved; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "${TIMER[@]}" seq "$T/$1.spec" "$N" "$WARMUP" "$RES"
}

measure up "{cli} up -d" "{cli} down"
for cli in "$B" "$CB" "$CD"; do $cli up -d >/dev/null 2>&1; done   # down's first round has a project
measure down "{cli} down" "{cli} up -d"
for cli in "$B" "$CB" "$CD"; do $cli down >/dev/null 2>&1; done

echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), docker-compose $(docker-compose version --short 2>/dev/null), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)."
python3 - "$RES" <<'PY'
import statistics, sys
vals = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition("\t")
    vals.setdefault(k, []).append(float(v))
rows = [("up", "`up -d`, 10 services from nothing"), ("down", "`down` of the 10 running services")]
print("| measure (median ms, n) | `berth compose` → berthd | docker-compose 1.29 → berthd | docker-compose 1.29 → dockerd | berth compose vs docker-compose → dockerd |")
print("|---|---:|---:|---:|---:|")
for key, title in rows:
    b, cb, cd = (vals.get(f"{key}/{e}") for e in ("berth", "dc-berth", "dc-docker"))
    if not (b and cb and cd):
        continue
    mb, mcb, mcd = statistics.median(b), statistics.median(cb), statistics.median(cd)
    print(f"| {title} (n={len(b)}/{len(cb)}/{len(cd)}) | {mb:.0f} | {mcb:.0f} | {mcd:.0f} | **{mcd / mb:.1f}x** |")
PY
