#!/usr/bin/env bash
# run-stream-bench.sh: large stdin and stdout through attached containers and execs with the
# docker CLI, berthd against Debian's dockerd 20.10 (containerd 1.6), in one run, interleaved.
# A benchmark, not a test (not in CTest). Every run's output is checked whole (sha256): a
# daemon that loses bytes fails the bench instead of looking fast.
#
#   bench/run-stream-bench.sh                 (as root; ~1 min)
#   ROUNDS=3 MB=50 bench/run-stream-bench.sh
#
# Measured (wall time of the docker CLI, ms):
#   exec -i cat      MB of random data into `docker exec -i c cat` and back out
#   run -i cat       the same through `docker run -i --rm busybox cat`
#   exec out         `docker exec c head -c MB /dev/zero`: output only
# Environment: BERTH_BUILD (default <repo>/build), ROUNDS (5), MB (20), DOCKER_CLI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-stream-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
ROUNDS=${ROUNDS:-5} MB=${MB:-20}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
for c in dockerd containerd python3 tar sha256sum "$DOCKER_CLI" "$BERTH_BUILD/cmd/berthd/berthd"; do
  command -v "$c" >/dev/null || { echo "run-stream-bench.sh: $c is missing" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-stream-bench.XXXXXX)
chmod 0711 "$T"
CG_NAME="berth-streambench-$$" CTD_SOCK="$T/containerd.sock" CTD_PID='' DOCKERD_PID='' BERTHD_PID='' FAILS=0
BERTH_SOCK=$T/berth.sock
source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
source "$here/lib/berthd_bench.bash"

cleanup() {
  set +e
  DOCKER_HOST="unix://$BERTH_SOCK" "$DOCKER_CLI" rm -f streamb >/dev/null 2>&1
  stop_bench_berthd streambench bstrb0 berth_streambench
  docker_cleanup 0 "stream bench" >/dev/null
}
trap cleanup EXIT
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"

start_docker_daemons >/dev/null
DOCKERD_HOST=$DOCKER_HOST
start_bench_berthd streambench bstrb0 berth_streambench

"$repo/tests/fixtures/make-rootfs.sh" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -cf "$T/busybox.tar" .
head -c $((MB << 20)) /dev/urandom >"$T/in"
IN_SUM=$(sha256sum <"$T/in" | cut -d' ' -f1)
ZERO_SUM=$(head -c $((MB << 20)) /dev/zero | sha256sum | cut -d' ' -f1)
HOSTS=("unix://$BERTH_SOCK" "$DOCKERD_HOST")
for h in "${HOSTS[@]}"; do
  DOCKER_HOST=$h "$DOCKER_CLI" import "$T/busybox.tar" streambench:1 >/dev/null
  DOCKER_HOST=$h "$DOCKER_CLI" run -d --pull never --network none --name streamb streambench:1 sleep 100000 >/dev/null
done

ms() { echo $(($(date +%s%N) / 1000000)); }
# timed HOST WANT CMD: runs CMD (a shell line using $D for the docker CLI) against HOST; prints ms,
# or fails when the output's sha256 is not WANT.
timed() {
  local host=$1 want=$2 line=$3 t0 sum
  t0=$(ms)
  sum=$(D="$DOCKER_CLI" DOCKER_HOST=$host bash -c "$line" | sha256sum | cut -d' ' -f1)
  local took=$(($(ms) - t0))
  [[ $sum == "$want" ]] || { echo "run-stream-bench.sh: $host: output of '$line' is not whole" >&2; exit 1; }
  echo "$took"
}
declare -A R
CASES=("exec -i cat" "run -i cat" "exec out")
line_of() {
  case $1 in
    "exec -i cat") echo "\$D exec -i streamb cat <'$T/in'" ;;
    "run -i cat") echo "\$D run -i --rm --pull never --network none streambench:1 cat <'$T/in'" ;;
    "exec out") echo "\$D exec streamb head -c $((MB << 20)) /dev/zero" ;;
  esac
}
want_of() { [[ $1 == "exec out" ]] && echo "$ZERO_SUM" || echo "$IN_SUM"; }
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    order=("${HOSTS[@]}")
    ((r % 2)) || order=("${HOSTS[1]}" "${HOSTS[0]}")
    for h in "${order[@]}"; do
      key="$c|$([[ $h == "${HOSTS[0]}" ]] && echo b || echo d)"
      R[$key]+="$(timed "$h" "$(want_of "$c")" "$(line_of "$c")") "
    done
  done
done

for c in "${CASES[@]}"; do echo "$c|${R[$c|b]}|${R[$c|d]}"; done | python3 -c '
import statistics, sys
mb = int(sys.argv[1])
print("| %d MB, ms (median; all) | berth | dockerd 20.10 | berth / dockerd |" % mb)
print("|---|---:|---:|---:|")
for line in sys.stdin:
    name, b, d = line.rstrip("\n").split("|")
    b, d = [int(x) for x in b.split()], [int(x) for x in d.split()]
    mbv, mdv = statistics.median(b), statistics.median(d)
    print("| %s | %.0f (%s) | %.0f (%s) | %.2f |" % (name, mbv, " ".join(map(str, b)), mdv, " ".join(map(str, d)), mbv / mdv))
' "$MB"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
