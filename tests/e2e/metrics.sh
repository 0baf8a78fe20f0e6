#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.metrics: berthd --metrics-addr (issue 16). A test berthd serves /metrics
# on 127.0.0.1 (port 0: the kernel picks, the log says which); three
# containers run: one with a 64 MiB memory limit, one spinning on the CPU,
# one with a healthcheck. The scrape must pass `promtool check metrics`, and
# its values must match the containers' own cgroup files read around it
# (memory limit exactly, CPU seconds within the sampler's one-second
# freshness, pids exactly); the healthy status, the engine's API counters
# and containers by state are checked too. Then docker stats (real CLI 28):
# --no-stream answers at once with every container and a CPU % for the
# spinning one, the API's stream sends one sample a second with networks,
# and `berth stats --no-stream` lists all three.
#
#   BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth bash tests/e2e/metrics.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="metrics e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-20}
BUDGET=${E2E_BUDGET:-180}
BERTH=${BERTH:-}
[[ -x "$BERTH" ]] || die "prerequisite missing: BERTH (the berth CLI)"
need_cmd promtool curl awk
e2e_init metrics
start_berthd --metrics-addr 127.0.0.1:0
PORT=$(sed -n 's/.*metrics API listening on tcp:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/berthd.log" | tail -n 1)
[[ -n $PORT ]] || die "berthd did not log its metrics address: $(tail -n 5 "$T/berthd.log" | tr '\n' '|')"
import_busybox busybox:latest
ok "berthd is up with metrics on 127.0.0.1:$PORT"

# wait_for SECONDS CMD...: CMD every 0.05 s until it succeeds or SECONDS pass.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.05; done
}
scrape() { curl -sf --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$1"; }
# metric FILE NAME LABELS-REGEX: the value of the first sample of NAME whose labels match.
metric() {
  awk -v n="$2" -v re="$3" '$1 ~ ("^" n "\\{") && $1 ~ re { print $2; exit }' "$1"
}
pure_v2() { [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; }
# cg_dir CONTROLLER PID: the process's cgroup directory for CONTROLLER (v1/hybrid) or its cgroup2 one.
cg_dir() {
  local path
  if pure_v2; then
    path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$2/cgroup")
    echo "/sys/fs/cgroup$path"
  else
    path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$2/cgroup")
    echo "$(cgroup_mounts "$1")$path"
  fi
}
expect() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
cpu_seconds_of() {  # PID: the cgroup's CPU time now, in seconds
  if pure_v2; then
    awk '$1 == "usage_usec" { printf "%.6f\n", $2 / 1e6 }' "$(cg_dir cpu "$1")/cpu.stat"
  else
    awk '{ printf "%.6f\n", $1 / 1e9 }' "$(cg_dir cpuacct "$1")/cpuacct.usage"
  fi
}

RUN=(run --pull never -d)
docker "${RUN[@]}" --name mem --memory 64m busybox sleep 600
expect "run a container with a memory limit" test "$RC" -eq 0
docker "${RUN[@]}" --name spin busybox sh -c 'while :; do :; done'
expect "run a container that spins on the CPU" test "$RC" -eq 0
docker "${RUN[@]}" --name hc --health-cmd true --health-interval 200ms busybox sleep 600
expect "run a container with a healthcheck" test "$RC" -eq 0
healthy() { docker inspect -f '{{.State.Health.Status}}' hc; [[ $OUT == healthy ]]; }
wait_for 20 healthy || not_ok "hc became healthy (inspect: $OUT)"
docker inspect -f '{{.State.Pid}}' mem; MEM_PID=$OUT
docker inspect -f '{{.State.Pid}}' spin; SPIN_PID=$OUT
docker inspect -f '{{.Id}}' mem; MEM_ID=$OUT
# Let the spinner use some CPU, bounded by the file that says it did.
spun() { awk -v s="$(cpu_seconds_of "$SPIN_PID")" 'BEGIN { exit !(s > 0.3) }'; }
wait_for 20 spun || not_ok "the spinning container used CPU"

before=$(cpu_seconds_of "$SPIN_PID")
scrape "$T/m1"
after=$(cpu_seconds_of "$SPIN_PID")
expect "GET /metrics answers" test -s "$T/m1"
capture promtool check metrics <"$T/m1"
if [[ $RC -eq 0 ]]; then ok "promtool check metrics accepts the page"; else not_ok "promtool check metrics: $(why)"; fi
ctype=$(curl -sf -o /dev/null -w '%{content_type}' "http://127.0.0.1:$PORT/metrics")
expect_eq "content type" "text/plain; version=0.0.4; charset=utf-8" "$ctype"

if pure_v2; then limit=$(cat "$(cg_dir memory "$MEM_PID")/memory.max"); else limit=$(cat "$(cg_dir memory "$MEM_PID")/memory.limit_in_bytes"); fi
expect_eq "memory limit = the cgroup's" "$limit" "$(metric "$T/m1" container_spec_memory_limit_bytes 'name="mem"')"
expect_eq "memory limit is 64 MiB" 67108864 "$limit"
cpu=$(metric "$T/m1" container_cpu_usage_seconds_total 'name="spin"')
# The sample is at most one sampler interval (1 s) older than the scrape; the spinner uses at most one CPU.
expect "cpu seconds $cpu within [$before - 1.1, $after] of the cgroup's" \
  awk -v v="${cpu:-x}" -v lo="$before" -v hi="$after" 'BEGIN { exit !(v != "x" && v + 0 >= lo - 1.1 && v + 0 <= hi) }'
pids=$(cat "$(cg_dir pids "$MEM_PID")/pids.current")
expect_eq "pids = the cgroup's pids.current" "$pids" "$(metric "$T/m1" container_threads 'name="mem"')"
expect_match "labels name the container and its image" "id=\"$MEM_ID\",name=\"mem\",image=\"busybox\"" "$(grep '^container_memory_usage_bytes{' "$T/m1")"
ws=$(metric "$T/m1" container_memory_working_set_bytes 'name="mem"')
usage=$(metric "$T/m1" container_memory_usage_bytes 'name="mem"')
expect "working set ($ws) <= usage ($usage)" awk -v w="${ws:-x}" -v u="${usage:-0}" 'BEGIN { exit !(w != "x" && w + 0 <= u + 0) }'
expect "network bytes per interface" grep -q '^container_network_receive_bytes_total{.*name="mem".*interface="eth0"}' "$T/m1"
expect_eq "hc is healthy in the metrics" 1 "$(metric "$T/m1" berth_container_health_status 'name="hc",.*status="healthy"')"
expect "start time is there" grep -q '^container_start_time_seconds{.*name="spin"' "$T/m1"
expect_eq "3 containers running" 3 "$(metric "$T/m1" berth_containers 'state="running"')"
starts=$(metric "$T/m1" berth_api_requests_total 'route="/containers/\{id\}/start",status="204"')
expect "API requests counted by route template and status ($starts starts)" test "${starts:-0}" -ge 3
expect "API latency histogram" grep -q '^berth_api_request_duration_seconds_bucket{method="POST",route="/containers/{id}/start",le="+Inf"}' "$T/m1"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other")
expect_eq "other paths are 404" 404 "$code"

# docker stats --no-stream: every container, at once, with a CPU % for the spinner.
t0=$(date +%s%N)
docker stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}'
ms=$((($(date +%s%N) - t0) / 1000000))
expect "docker stats --no-stream succeeds" test "$RC" -eq 0
expect "docker stats --no-stream lists all three ($(tr '\n' '|' <<<"$OUT"))" test "$(grep -cE '^(mem|spin|hc) ' <<<"$OUT")" -eq 3
spin_pct=$(awk '$1 == "spin" { sub("%", "", $2); print $2 }' <<<"$OUT")
expect "the spinner shows CPU use ($spin_pct%)" awk -v p="${spin_pct:-0}" 'BEGIN { exit !(p > 10) }'
expect "the memory limit shows as 64MiB" grep -q '^mem .*/ 64MiB' <<<"$OUT"
# dockerd needs ~2 s here (two samples a second apart); berth answers from its sampler.
expect "docker stats --no-stream took ${ms} ms (< 1000)" test "$ms" -lt 1000

# The API's stream: two samples a second apart, each with precpu from the one before, and networks.
capture timeout 10 sh -c "curl -sN --unix-socket '$SOCK' http://d/containers/spin/stats | head -n 2"
expect "the stats stream sends samples" test "$(grep -c '"cpu_stats"' <<<"$OUT")" -eq 2
expect "stream samples carry networks" grep -q '"networks":{"eth0"' <<<"$OUT"
precpu_ok() {
  python3 -c 'import json, sys
for line in sys.stdin.read().splitlines():
    s = json.loads(line)
    assert s["precpu_stats"]["system_cpu_usage"] < s["cpu_stats"]["system_cpu_usage"]
    assert s["precpu_stats"]["cpu_usage"]["total_usage"] <= s["cpu_stats"]["cpu_usage"]["total_usage"]' <<<"$OUT"
}
expect "stream samples carry precpu_stats from the sample before" precpu_ok

capture "$BERTH" -H "unix://$SOCK" stats --no-stream --format '{{.Name}}'
expect "berth stats --no-stream lists every container ($(tr '\n' ' ' <<<"$OUT"))" test "$(grep -cE '^(mem|spin|hc)$' <<<"$OUT")" -eq 3

# The live table: still running when stopped, every container in what it drew.
capture timeout 4 "$BERTH" -H "unix://$SOCK" stats --format '{{.Name}}'
expect "berth stats keeps drawing until stopped (rc $RC)" test "$RC" -eq 124
expect "berth stats' live table has every container ($(sort -u <<<"$OUT" | tr '\n' ' '))" \
  test "$(grep -E '^(mem|spin|hc)$' <<<"$OUT" | sort -u | wc -l)" -eq 3

docker rm -f mem spin hc
expect "containers removed" test "$RC" -eq 0
scrape "$T/m2"
expect "removed containers leave the page" test "$(grep -c 'name="spin"' "$T/m2")" -eq 0
