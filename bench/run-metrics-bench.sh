#!/usr/bin/env bash
# run-metrics-bench.sh: what berthd's stats cost (issue 16). A benchmark, not a test (not in
# CTest); prints markdown tables; writes nothing into the repository.
#
#   bench/run-metrics-bench.sh            (as root; a few minutes)
#   N_SCRAPE=10 N_STATS=3 bench/run-metrics-bench.sh   (a quick try)
#
# 1. /metrics with N_SCRAPE_CTRS (100) busybox `sleep` containers on berthd's default bridge:
#    N_SCRAPE scrapes SCRAPE_GAP (1.2) s apart, so each one finds the sampler's sample stale and
#    pays for a sampling pass of every container (Prometheus scrapes every 15-60 s: this is
#    that case). Per scrape: wall time (curl's time_total) and berthd's CPU (utime + stime
#    from /proc/<pid>/stat over all scrapes, divided by N_SCRAPE; the ticks are 10 ms, hence
#    many scrapes). Also back-to-back scrapes (the sample reused: encoding only).
# 2. `docker stats --no-stream` (the real CLI 28) with N_STATS_CTRS (50) running containers:
#    berthd against Docker 20.10 (a private dockerd + containerd from tests/interop/lib/docker.bash:
#    own data-root, sockets, cgroup parent, no bridge, no iptables, busybox imported, nothing
#    pulled), N_STATS runs each, interleaved. berth's first run after the sampler idled is
#    reported apart (cold: one sampling pass in the request). Docker's CLI 28 redraws on a
#    500 ms ticker and --no-stream prints at its first tick, so no daemon can answer it in
#    under ~0.5 s: the daemons are also timed at the API (what the CLI asks: every
#    container's /containers/ID/stats?stream=false, all at once, by bench/lib/stats_api.py),
#    and `berth stats --no-stream` (no ticker) is timed against berthd.
#
# Environment: BERTH_BUILD (default <repo>/build), DOCKER_CLI (/usr/local/bin/docker),
#   TMP_PREFIX (/tmp/berth-metrics-bench), BRIDGE (bt-mb-$$), NFT_TABLE (berth_mb_$$),
#   CG_BERTH (berth-mbench-$$), METRICS_PORT (18501), N_SCRAPE (30), N_STATS (5).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-metrics-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
N_SCRAPE_CTRS=${N_SCRAPE_CTRS:-100}
N_STATS_CTRS=${N_STATS_CTRS:-50}
N_SCRAPE=${N_SCRAPE:-30}
N_STATS=${N_STATS:-5}
SCRAPE_GAP=${SCRAPE_GAP:-1.2}
METRICS_PORT=${METRICS_PORT:-18501}

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd curl "$DOCKER_CLI" "$MAKE_ROOTFS" "$BERTH_BUILD/cmd/berthd/berthd" \
         "$BERTH_BUILD/cmd/berth/berth" "$BERTH_BUILD/cmd/berth-shim/berth-shim"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-metrics-bench.sh: missing $c" >&2; exit 1; }
done

T=$(mktemp -d "${TMP_PREFIX:-/tmp/berth-metrics-bench}.XXXXXX")
CG_NAME="${CG_DOCKER:-berth-mbench-docker-$$}"   # docker.bash's cgroup parent for dockerd
CG_BERTH=${CG_BERTH:-berth-mbench-$$}
BRIDGE=${BRIDGE:-bt-mb-$$}
BRIDGE=${BRIDGE:0:15}
NFT_TABLE=${NFT_TABLE:-berth_mb_$$}
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID=''
BERTH_SOCK="$T/berth.sock"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n $BERTHD_PID ]] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    local ids
    ids=$(timeout 20 "${BERTH[@]}" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086 # a list of IDs
    [[ -n $ids ]] && timeout 120 "${BERTH[@]}" rm -f $ids >/dev/null 2>&1
  fi
  stop_pid "$BERTHD_PID" berthd
  remove_cgroups "$CG_BERTH"
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  nft list table ip "$NFT_TABLE" >/dev/null 2>&1 && nft delete table ip "$NFT_TABLE"
  docker_cleanup "$rc" "metrics bench"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
HZ=$(getconf CLK_TCK)

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"

# --- berthd with metrics --------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
  -H "unix://$BERTH_SOCK" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --bridge "$BRIDGE" --firewall-table "$NFT_TABLE" --config-file "$T/berthd.json" \
  --shim-path "$BERTH_BUILD/cmd/berth-shim/berth-shim" --metrics-addr "127.0.0.1:$METRICS_PORT" \
  --notify-fd 3 3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready $(tail -n 5 "$T/berthd.log")" >&2; exit 1; }
BERTH=("$BERTH_BUILD/cmd/berth/berth" -H "unix://$BERTH_SOCK")
"${BERTH[@]}" import - busybox:latest <"$T/rootfs.tar" >/dev/null

echo "# starting $N_SCRAPE_CTRS berth containers"
for i in $(seq "$N_SCRAPE_CTRS"); do
  "${BERTH[@]}" run -d --name "m$i" busybox sleep 3600 >/dev/null
done
URL="http://127.0.0.1:$METRICS_PORT/metrics"
curl -sf "$URL" >"$T/scrape.txt"
series=$(grep -vc '^#' "$T/scrape.txt")
bytes=$(wc -c <"$T/scrape.txt")
sleep "$SCRAPE_GAP"

# Spaced scrapes: each one samples.
: >"$T/wall-spaced"
c0=$(cpu_ticks "$BERTHD_PID")
for _ in $(seq "$N_SCRAPE"); do
  curl -sf -o /dev/null -w '%{time_total}\n' "$URL" >>"$T/wall-spaced"
  sleep "$SCRAPE_GAP"
done
c1=$(cpu_ticks "$BERTHD_PID")
# berthd's CPU while idle for the same time (no scrape): what the gaps alone cost.
sleep "$(awk -v n="$N_SCRAPE" -v g="$SCRAPE_GAP" 'BEGIN { print n * g }')"
c2=$(cpu_ticks "$BERTHD_PID")
cpu_spaced=$(awk -v a="$c0" -v b="$c1" -v c="$c2" -v n="$N_SCRAPE" -v hz="$HZ" \
  'BEGIN { printf "%.2f", ((b - a) - (c - b)) * 1000 / hz / n }')
cpu_spaced_raw=$(awk -v a="$c0" -v b="$c1" -v n="$N_SCRAPE" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }')
idle_ticks=$((c2 - c1))
wall_spaced=$(awk '{ print $1 * 1000 }' "$T/wall-spaced" | median)

# Back-to-back scrapes: the sample is reused (encoding and HTTP only), except about one a second.
: >"$T/wall-b2b"
c0=$(cpu_ticks "$BERTHD_PID")
for _ in $(seq $((N_SCRAPE * 5))); do curl -sf -o /dev/null -w '%{time_total}\n' "$URL" >>"$T/wall-b2b"; done
c1=$(cpu_ticks "$BERTHD_PID")
cpu_b2b=$(awk -v a="$c0" -v b="$c1" -v n=$((N_SCRAPE * 5)) -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }')
wall_b2b=$(awk '{ print $1 * 1000 }' "$T/wall-b2b" | median)

echo
echo "## /metrics with $N_SCRAPE_CTRS running containers ($series series, $bytes bytes a page)"
echo
echo "| scrapes | wall per scrape (median, ms) | berthd CPU per scrape (ms) |"
echo "|---|---|---|"
echo "| $N_SCRAPE, ${SCRAPE_GAP} s apart (each samples every container) | $wall_spaced | $cpu_spaced (raw $cpu_spaced_raw, idle over the same time: $idle_ticks ticks) |"
echo "| $((N_SCRAPE * 5)) back to back (sample reused) | $wall_b2b | $cpu_b2b |"

# --- docker stats --no-stream with N_STATS_CTRS --------------------------------------------
echo "# keeping $N_STATS_CTRS berth containers"
for i in $(seq $((N_STATS_CTRS + 1)) "$N_SCRAPE_CTRS"); do "${BERTH[@]}" rm -f "m$i" >/dev/null; done
# shellcheck disable=SC2119 # no extra dockerd flags
start_docker_daemons >/dev/null
"$DOCKER_CLI" import - busybox:latest <"$T/rootfs.tar" >/dev/null
echo "# starting $N_STATS_CTRS docker containers"
for i in $(seq "$N_STATS_CTRS"); do "$DOCKER_CLI" run -d --name "d$i" busybox sleep 3600 >/dev/null; done

# stats_ms HOST: one `docker stats --no-stream`, its wall time in ms (and its row count checked).
stats_ms() {
  local t0 t1 rows
  t0=$(date +%s%N)
  rows=$(DOCKER_HOST=$1 "$DOCKER_CLI" stats --no-stream --format '{{.Name}}' | wc -l)
  t1=$(date +%s%N)
  [[ $rows -eq $N_STATS_CTRS ]] || { echo "docker stats on $1 listed $rows containers, not $N_STATS_CTRS" >&2; exit 1; }
  echo $(((t1 - t0) / 1000000))
}
# The sampler has idled since the scrapes: the first call samples in the request.
sleep 2
cold=$(stats_ms "unix://$BERTH_SOCK")
: >"$T/st-berth"; : >"$T/st-docker"
for _ in $(seq "$N_STATS"); do
  stats_ms "unix://$BERTH_SOCK" >>"$T/st-berth"
  stats_ms "unix://$T/docker.sock" >>"$T/st-docker"
done
# The API alone: N_STATS_CTRS requests at once, as the CLI sends them.
api_ms() { python3 "$here/lib/stats_api.py" "$1" "$N_STATS_CTRS"; }
: >"$T/api-berth"; : >"$T/api-docker"; : >"$T/cli-berth"
for _ in $(seq "$N_STATS"); do
  api_ms "$BERTH_SOCK" >>"$T/api-berth"
  api_ms "$T/docker.sock" >>"$T/api-docker"
  t0=$(date +%s%N)
  rows=$("${BERTH[@]}" stats --no-stream --format '{{.Name}}' | wc -l)
  echo $((($(date +%s%N) - t0) / 1000000)) >>"$T/cli-berth"
  [[ $rows -eq $N_STATS_CTRS ]] || { echo "berth stats listed $rows containers" >&2; exit 1; }
done
b=$(median <"$T/st-berth")
d=$(median <"$T/st-docker")
ab=$(median <"$T/api-berth")
ad=$(median <"$T/api-docker")
cb=$(median <"$T/cli-berth")
echo
echo "## docker stats --no-stream with $N_STATS_CTRS running containers (CLI $("$DOCKER_CLI" version -f '{{.Client.Version}}'), $N_STATS runs each)"
echo
echo "| daemon | median (ms) | runs (ms) |"
echo "|---|---|---|"
echo "| berthd, first after idle (samples in the request) | $cold | $cold |"
echo "| berthd | $b | $(tr '\n' ' ' <"$T/st-berth") |"
echo "| dockerd 20.10 | $d | $(tr '\n' ' ' <"$T/st-docker") |"
echo "| API: berthd, $N_STATS_CTRS stats?stream=false at once | $ab | $(tr '\n' ' ' <"$T/api-berth") |"
echo "| API: dockerd 20.10, the same | $ad | $(tr '\n' ' ' <"$T/api-docker") |"
echo "| \`berth stats --no-stream\` against berthd | $cb | $(tr '\n' ' ' <"$T/cli-berth") |"
echo
echo "docker CLI: dockerd / berthd $(awk -v d="$d" -v b="$b" 'BEGIN { printf "%.1fx", d / b }') (first after idle: $(awk -v d="$d" -v b="$cold" 'BEGIN { printf "%.1fx", d / b }'));" \
  "API: $(awk -v d="$ad" -v b="$ab" 'BEGIN { printf "%.0fx", d / b }'); docker CLI on dockerd / berth CLI on berthd: $(awk -v d="$d" -v b="$cb" 'BEGIN { printf "%.0fx", d / b }')"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
