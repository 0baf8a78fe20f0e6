#!/usr/bin/env bash
# run-build-bench.sh: `docker build` with the legacy builder, berth (berthd, driven by the Docker
# CLI 28 with DOCKER_BUILDKIT=0 and by `berth build`) against Docker 20.10 (dockerd + containerd,
# driven by the Docker CLI 28 with DOCKER_BUILDKIT=0), in one run. A benchmark, not a test (not in
# CTest).
#
#   bench/run-build-bench.sh                    (as root; a few minutes)
#   N=3 bench/run-build-bench.sh                (a quick try)
#
# Both engines get the same busybox image (tests/fixtures/make-rootfs.sh, `import`ed into each as
# busybox:latest); nothing is pulled (no --pull, and FROM names only that local image).
# Projects:
#   small   a 10-step Dockerfile (FROM, ENV, WORKDIR, COPY of 50 files in 5 dirs, 4 RUNs, LABEL,
#           CMD)
#   ctx20k  `FROM busybox:latest` + `COPY . /ctx/` with a context of 20,000 files of 1-4 KiB in
#           200 dirs
# Measures (interleaved: every round runs each engine once, the first rotating; wall time of the
# CLI, end to end):
#   small-cold      `build --no-cache`; the image is removed (rmi, untimed) after each
#   small-cached    the same build again, every step from the cache
#   small-changed   one file of the COPY'd tree changed (untimed) before each build: FROM, ENV,
#                   WORKDIR from the cache, COPY and the 6 steps after it built; rmi after each
#   ctx20k-cold     `build --no-cache` of the 20,000-file context: send, hash, COPY, commit
#   ctx20k-cached   the same build again: the context sent and hashed, the COPY from the cache
#   cli-floor       `version` through each CLI: what any command costs (start + one API call)
# Engines: berth (the Docker CLI against berthd), berth-cli (`berth build` against the same
# berthd), docker (the Docker CLI against dockerd).
# Environment: BERTH_BUILD (default <repo>/build), N (default 5), WARMUP (default 1),
#   DOCKER_CLI (default /usr/local/bin/docker), KEEP_RESULTS (a file for the raw results),
#   BERTHD_DEBUG=1 (berthd with --debug; its log is copied to KEEP_LOG when that is set),
#   SMALL_ONLY=1 (the 10-step rows and the CLI floor only: a few minutes instead of 15-35).
# shellcheck disable=SC2086 # $B, $DB and $D are command lines: their words are meant to split
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-build-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-5}
WARMUP=${WARMUP:-1}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
TIMER=(python3 "$here/lib/engine_timer.py")

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd python3 "$DOCKER_CLI" "$MAKE_ROOTFS" "$BERTH_BUILD/cmd/berthd/berthd" \
  "$BERTH_BUILD/cmd/berth/berth" "$BERTH_BUILD/cmd/berth-shim/berth-shim" "$BERTH_BUILD/cmd/berth-init/berth-init"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-build-bench.sh: missing $c" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-build-bench.XXXXXX)
CG_NAME="berth-bbench-docker-$$"
CG_BERTH="berth-bbench-$$"
BRIDGE_BERTH="bbb-$$"
NFT_BERTH="berth_bbench_$$"
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID=''
RES=$T/results.tsv
: >"$RES"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n "$BERTHD_PID" ]] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    local all=()
    mapfile -t all < <(timeout 10 "$DOCKER_CLI" -H "unix://$T/berth.sock" ps -aq 2>/dev/null)
    ((${#all[@]})) && timeout 20 "$DOCKER_CLI" -H "unix://$T/berth.sock" rm -f "${all[@]}" >/dev/null 2>&1
  fi
  stop_pid "$BERTHD_PID" berthd
  [[ -n ${KEEP_LOG:-} && -f $T/berthd.log ]] && cp "$T/berthd.log" "$KEEP_LOG"
  remove_cgroups "$CG_BERTH"
  ip link show "$BRIDGE_BERTH" >/dev/null 2>&1 && ip link del "$BRIDGE_BERTH"
  nft list table ip "$NFT_BERTH" >/dev/null 2>&1 && nft delete table ip "$NFT_BERTH"
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  docker_cleanup "$rc" "build bench"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"
# --- the base image and the two projects ---------------------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
P=$T/small
python3 - "$P/src" "$T/ctx20k" <<'PY'
import os, random, sys
random.seed(11)
small, big = sys.argv[1], sys.argv[2]
for d in range(5):                      # 50 files of 100-2000 bytes
    os.makedirs(f"{small}/d{d}", exist_ok=True)
    for f in range(10):
        with open(f"{small}/d{d}/f{f}.txt", "w") as out:
            out.write("x" * random.randint(100, 2000) + "\n")
for d in range(200):                    # 20,000 files of 1-4 KiB
    os.makedirs(f"{big}/dir{d:03}", exist_ok=True)
    for f in range(100):
        with open(f"{big}/dir{d:03}/file{f:03}", "wb") as out:
            out.write(os.urandom(random.randint(1024, 4096)))
PY
cat >"$P/Dockerfile" <<'DF'
FROM busybox:latest
ENV APP_HOME=/app MODE=bench
WORKDIR /app
COPY src/ ./src/
RUN echo one > one.txt
RUN echo two > two.txt
RUN mkdir -p data && echo three > data/three.txt
RUN cat src/d0/f0.txt src/d4/f9.txt > both.txt
LABEL org.example.bench="build"
CMD ["cat", "/app/one.txt"]
DF
printf 'FROM busybox:latest\nCOPY . /ctx/\n' >"$T/ctx20k/Dockerfile"
CTX_BYTES=$(du -sb --apparent-size "$T/ctx20k" | cut -f1)
CHANGED=$P/src/d2/f5.txt   # the file small-changed rewrites before each build

# --- the daemons --------------------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
debug=(); [[ ${BERTHD_DEBUG:-0} == 1 ]] && debug=(--debug)
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
  -H "unix://$T/berth.sock" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --bridge "$BRIDGE_BERTH" --firewall-table "$NFT_BERTH" --config-file "$T/berthd.json" \
  --shim-path "$BERTH_BUILD/cmd/berth-shim/berth-shim" --init-path "$BERTH_BUILD/cmd/berth-init/berth-init" \
  "${debug[@]}" --notify-fd 3 3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready $(tail -n 5 "$T/berthd.log")" >&2; exit 1; }
# shellcheck disable=SC2119 # no extra dockerd flags
start_docker_daemons >/dev/null
export DOCKER_BUILDKIT=0
BH="unix://$T/berth.sock"
B="$BERTH_BUILD/cmd/berth/berth -H $BH"    # the berth CLI
DB="$DOCKER_CLI -H $BH"                    # the Docker CLI against berthd
D="$DOCKER_CLI"                            # the Docker CLI against dockerd ($DOCKER_HOST)
$B import - busybox:latest <"$T/rootfs.tar" >/dev/null
$D import - busybox:latest <"$T/rootfs.tar" >/dev/null

# check_log WHAT WANT_CACHED CMD...: runs a build (untimed) and checks from its log that the
# cache did what the measure assumes, so a row cannot silently measure something else.
check_log() {
  local what=$1 cached=$2 out c
  shift 2
  out=$("$@" 2>&1) || { echo "run-build-bench.sh: $what failed: $out" >&2; exit 1; }
  c=$(grep -c -- '---> Using cache' <<<"$out" || true)
  if [[ $c != "$cached" ]]; then
    echo "run-build-bench.sh: $what: $c steps from the cache, expected $cached:" >&2
    echo "$out" >&2
    exit 1
  fi
}
# The first builds (berth's through the Docker CLI, then Docker's), then the cached ones: with
# `berth build` too, whose context must hash as the Docker CLI's does (the same cache entries).
check_log "the first build (berth)" 0 $DB build -t bench/small:berth "$P"
check_log "the first build (docker)" 0 $D build -t bench/small:docker "$P"
LARGE=1; [[ ${SMALL_ONLY:-0} == 1 ]] && LARGE=0
if ((LARGE)); then
  check_log "the 20k context's first build (berth)" 0 $DB build -t bench/ctx20k:berth "$T/ctx20k"
  check_log "the 20k context's first build (docker)" 0 $D build -t bench/ctx20k:docker "$T/ctx20k"
fi
for e in berth berth-cli docker; do
  case $e in berth) cli=$DB ;; berth-cli) cli=$B ;; docker) cli=$D ;; esac
  check_log "the cached build ($e)" 9 $cli build -t "bench/small:$e" "$P"
  ((LARGE)) && check_log "the 20k context's cached build ($e)" 1 $cli build -t "bench/ctx20k:$e" "$T/ctx20k"
done
echo "# context of ctx20k: $CTX_BYTES bytes in 20,000 files; busybox imported into both engines"

# One spec per measure, the cached ones first: a cold build's rmi takes away the images its
# steps' cache entries now name (berth's cache keeps one image per key), so a cached measure
# after it would rebuild.
spec() {  # spec NAME ARGS POST: one case per engine; {e} is the engine, {cli} its CLI
  local name=$1 args=$2 post=$3 e cli post_e
  for e in berth berth-cli docker; do
    case $e in berth) cli=$DB ;; berth-cli) cli=$B ;; docker) cli=$D ;; esac
    echo "case $name/$e"
    echo "step $cli build ${args//\{e\}/$e}"
    if [[ -n $post ]]; then post_e=${post//\{cli\}/$cli}; echo "post ${post_e//\{e\}/$e}"; fi
  done
}
measure() {  # measure NAME ARGS POST
  spec "$@" >"$T/$1.spec"
  echo "## $1 (n=$N each, interleaved; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "${TIMER[@]}" seq "$T/$1.spec" "$N" "$WARMUP" "$RES"
}

measure small-cached "-t bench/small:{e} $P" ""
# The floor under any build through a CLI: `version` (the CLI starting, one API round trip).
{ echo "case cli-floor/berth"; echo "step $DB version"; echo "case cli-floor/berth-cli"; echo "step $B version"
  echo "case cli-floor/docker"; echo "step $D version"; } >"$T/cli-floor.spec"
echo "## cli-floor (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/cli-floor.spec" "$N" "$WARMUP" "$RES"
# A new content for the changed file before every build: the previous iteration's post writes it
# (a step would be timed), the first one here.
echo "changed 0" >"$CHANGED"
# The removals after a build are untimed, and so is a `sync` after them: the next build does not
# pay for writing back what the previous one left.
measure small-changed "-t bench/changed:{e} $P" "sh -c 'echo changed {i} >$CHANGED && {cli} rmi bench/changed:{e} && sync'"
measure small-cold "--no-cache -t bench/cold:{e} $P" "sh -c '{cli} rmi bench/cold:{e} && sync'"
if ((LARGE)); then
measure ctx20k-cached "-t bench/ctx20k:{e} $T/ctx20k" "sync"
measure ctx20k-cold "--no-cache -t bench/ctx20k-cold:{e} $T/ctx20k" "sh -c '{cli} rmi bench/ctx20k-cold:{e} && sync'"
fi

echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), Docker CLI $("$D" version -f '{{.Client.Version}}' 2>/dev/null), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)."
python3 - "$RES" <<'PY'
import statistics, sys
vals = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition("\t")
    vals.setdefault(k, []).append(float(v))
rows = [
    ("small-cold", "10-step Dockerfile, cold (`--no-cache`)"),
    ("small-cached", "10-step Dockerfile, fully cached"),
    ("cli-floor", "reference: `version` through the same CLI (start + one API call)"),
    ("small-changed", "10-step Dockerfile, one COPY'd file changed"),
    ("ctx20k-cold", "20,000-file context, `COPY . /ctx/` cold"),
    ("ctx20k-cached", "20,000-file context, fully cached (send + hash)"),
]
print("| measure (median ms, n) | berth, Docker CLI | berth, `berth build` | docker | speed-up (Docker CLI) | speed-up (`berth build`) |")
print("|---|---:|---:|---:|---:|---:|")
for key, title in rows:
    b, bc, d = (vals.get(f"{key}/{e}") for e in ("berth", "berth-cli", "docker"))
    if not (b and bc and d):
        continue
    mb, mbc, md = statistics.median(b), statistics.median(bc), statistics.median(d)
    print(f"| {title} (n={len(b)}/{len(bc)}/{len(d)}) | {mb:.0f} | {mbc:.0f} | {md:.0f} | **{md / mb:.1f}x** | **{md / mbc:.1f}x** |")
PY
