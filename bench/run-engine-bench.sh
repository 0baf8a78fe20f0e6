#!/usr/bin/env bash
# run-engine-bench.sh: berth (berthd + berth-shim + berth CLI) against Docker 20.10 (dockerd +
# containerd + runc, driven by the Docker CLI 28), Podman 4.3 (conmon + crun) and a bare
# `crun run`, side by side in one run. A benchmark, not a test (not in CTest). Prints a markdown
# table of medians; writes nothing into the repository.
#
#   bench/run-engine-bench.sh                  (as root; takes a few minutes)
#   N=5 N_CONC_ROUNDS=1 bench/run-engine-bench.sh   (a quick try)
#
# Measures (interleaved within each group: every round runs each engine once, the starting
# engine rotating; timings by bench/lib/engine_timer.py, wall clock from spawn to exit):
#   run     `run --rm IMAGE /bin/true`, all with --network none; bare `crun run` of the bundle
#           berthd makes for it (same config, same seccomp profile)
#   run-unconfined  berth with `--security-opt seccomp=unconfined`, crun that bundle without seccomp
#   run-minimal  crun of `runc spec`'s minimal bundle (no seccomp, 3 capabilities): for reference
#   run-default  the same with the engine's own default network (berth, docker)
#   create+start  `create --name X IMAGE sleep 600` then `start X`, timed together
#   conc50  50 CLI processes `run -d --name X IMAGE sleep 600` spawned at once: wall time
#   (then, with the last round's 50 containers of every engine running:)
#   ps, ps-a, exec  `ps`, `ps -a`, `exec CTR /bin/true`
#   mem     daemon RSS idle and with 50 running; per-container monitor PSS/RSS
#
# Environment:
#   BERTH_BUILD   build dir with cmd/{berthd,berth,berth-shim,berth-init} (default <repo>/build)
#   N             runs per engine for run/create+start/exec/ps (default 40), WARMUP (default 3)
#   N_CONC        containers in the concurrent start (default 50); N_CONC_ROUNDS (default 3)
#   DOCKER_CLI    default /usr/local/bin/docker; CRUN default /usr/bin/crun
#   HIDE_UNIFIED  1/0 (default 1 on a hybrid cgroup host): run the whole bench in a private mount
#                 namespace with /sys/fs/cgroup/unified lazily unmounted, because crun 1.8 (bare
#                 and under podman) refuses this host's hybrid layout; every engine then sees the
#                 same pure cgroup v1 layout (see docs/performance.md, OCI runtime section).
#   WAIT_LOAD     e.g. 1.0: first wait (up to 10 min) for the 1-min load average to drop below it
#   KEEP_RESULTS  a file to copy the raw results (MEASURE/ENGINE<TAB>value lines) to
#   KEEP_LOGS     a directory to copy berthd.log, dockerd.log, containerd.log to at exit
# Needs root, dockerd/containerd/runc, podman/conmon/crun, runc (for `runc spec`), python3.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-engine-bench.sh: must run as root" >&2; exit 1; }

hybrid=0
if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == tmpfs &&
      $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
  hybrid=1
fi
HIDE_UNIFIED=${HIDE_UNIFIED:-$hybrid}
if [[ $HIDE_UNIFIED == 1 && -z ${ENGINE_BENCH_IN_NS:-} ]]; then
  # A private mount namespace; slave: host mounts still propagate in, none of ours go out.
  ENGINE_BENCH_IN_NS=1 exec unshare --mount --propagation slave -- "$0" "$@"
fi
if [[ $HIDE_UNIFIED == 1 ]] && mountpoint -q /sys/fs/cgroup/unified; then
  umount -l /sys/fs/cgroup/unified
fi

BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-40}
WARMUP=${WARMUP:-3}
N_CONC=${N_CONC:-50}
N_CONC_ROUNDS=${N_CONC_ROUNDS:-3}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
CRUN=${CRUN:-/usr/bin/crun}
TIMER=(python3 "$here/lib/engine_timer.py")

if [[ -n ${WAIT_LOAD:-} ]]; then
  for _ in $(seq 60); do
    awk -v max="$WAIT_LOAD" '{ exit !($1 < max) }' /proc/loadavg && break
    echo "# load average $(cut -d' ' -f1-3 /proc/loadavg), waiting for < $WAIT_LOAD" >&2
    sleep 10
  done
fi

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd podman conmon "$CRUN" runc "$DOCKER_CLI" "$MAKE_ROOTFS" \
         "$BERTH_BUILD/cmd/berthd/berthd" "$BERTH_BUILD/cmd/berth/berth" "$BERTH_BUILD/cmd/berth-shim/berth-shim"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-engine-bench.sh: missing $c" >&2; exit 1; }
done

remember_absent /run/crun            # podman's crun keeps its state there (no --root from podman)
T=$(mktemp -d /tmp/berth-engine-bench.XXXXXX)
CG_NAME="berth-bench-docker-$$"      # dockerd --cgroup-parent (docker.bash's name for it)
CG_BERTH="berth-bench-$$"
CG_PODMAN="berth-bench-podman-$$"
CG_CRUN="berth-bench-crun-$$"
# berthd's default bridge and nftables table, its own and removed at exit (the
# host's berth0 and table "berth" are not the bench's to touch).
BRIDGE_BERTH="bt-bench-$$"
BRIDGE_BERTH=${BRIDGE_BERTH:0:15}
NFT_BERTH="berth_bench_$$"
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID='' PODMAN_OK=''
RES=$T/results.tsv
: >"$RES"

podman_created_ids() {
  grep -oE '"ID":"[0-9a-f]{64}","Image"' "$T/events.log" 2>/dev/null | cut -d'"' -f4 | sort -u
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n $BERTHD_PID ]] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    local ids
    ids=$(timeout 20 "${BERTH[@]}" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086 # a list of IDs
    [[ -n $ids ]] && timeout 60 "${BERTH[@]}" rm -f $ids >/dev/null 2>&1
  fi
  stop_pid "$BERTHD_PID" berthd
  if [[ -n $PODMAN_OK ]]; then
    timeout 60 "${PODMAN[@]}" rm --all --force --time 0 >/dev/null 2>&1
  fi
  local id
  for id in $(podman_created_ids); do "$CRUN" delete --force "$id" >/dev/null 2>&1; done
  for id in $("$CRUN" --root "$T/crun" list -q 2>/dev/null); do
    "$CRUN" --root "$T/crun" delete --force "$id" >/dev/null 2>&1
  done
  remove_cgroups "$CG_BERTH"         # kills container processes left in these cgroups
  remove_cgroups "$CG_PODMAN"
  remove_cgroups "$CG_CRUN"
  ip link show "$BRIDGE_BERTH" >/dev/null 2>&1 && ip link del "$BRIDGE_BERTH"
  nft list table ip "$NFT_BERTH" >/dev/null 2>&1 && nft delete table ip "$NFT_BERTH"
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  if [[ -n ${KEEP_LOGS:-} ]]; then
    mkdir -p "$KEEP_LOGS" && cp "$T"/{berthd,dockerd,containerd}.log "$T"/*.stderr "$KEEP_LOGS/" 2>/dev/null
  fi
  # docker.bash: docker rm -f of its containers, dockerd and containerd stopped, then every
  # process whose command line names $T (containerd shims, berth-shims, conmon, podman
  # cleanup), its cgroups, the shim sockets; then unmount everything under $T and remove it.
  docker_cleanup "$rc" "engine bench"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
berthd_note() {
  echo "# berthd after $1: RSS $(mb "$(rss_kb "$BERTHD_PID")") MB, $(find "/proc/$BERTHD_PID/task" -mindepth 1 -maxdepth 1 | wc -l) threads"
}
record() { printf '%s\t%s\n' "$1" "$2" >>"$RES"; }
# pids_named COMM PIDS...: those of PIDS whose comm is COMM.
pids_named() {
  local comm=$1 p; shift
  for p in "$@"; do [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$comm" ]] && echo "$p"; done
  return 0
}
# monitor_mem LABEL PIDS...: mean PSS and RSS over N_CONC containers.
monitor_mem() {
  local label=$1 p pss=0 rss=0; shift
  (($#)) || { echo "# $label: no monitor processes found"; return 0; }
  for p in "$@"; do pss=$((pss + $(pss_kb "$p"))); rss=$((rss + $(rss_kb "$p"))); done
  echo "# $label: $# monitor processes, sum Pss $(mb $pss) MB, sum Rss $(mb $rss) MB"
  record "mem-monitor-pss/$label" "$(mb $((pss / N_CONC)))"
  record "mem-monitor-rss/$label" "$(mb $((rss / $#)))"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# load average at start: $load_start; temp root $T; hide cgroup2 unified: $HIDE_UNIFIED"

# --- the image: one busybox rootfs for everyone ------------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"

# --- berthd ------------------------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
  -H "unix://$T/berth.sock" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --bridge "$BRIDGE_BERTH" --firewall-table "$NFT_BERTH" \
  --config-file "$T/berthd.json" --shim-path "$BERTH_BUILD/cmd/berth-shim/berth-shim" \
  --init-path "$BERTH_BUILD/cmd/berth-init/berth-init" --notify-fd 3 \
  3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready $(tail -n 5 "$T/berthd.log")" >&2; exit 1; }
BERTH=("$BERTH_BUILD/cmd/berth/berth" -H "unix://$T/berth.sock")
mem_berthd_fresh=$(rss_kb "$BERTHD_PID")
"${BERTH[@]}" import - busybox:latest <"$T/rootfs.tar" >/dev/null

# --- dockerd + containerd (tests/interop/lib/docker.bash: no bridge, no iptables) ----------------
# shellcheck disable=SC2119 # no extra dockerd flags
start_docker_daemons >/dev/null
# podman reads $DOCKER_CONFIG/config.json (auth) too, and fails when it is missing.
echo '{}' >"$DOCKER_CONFIG/config.json"
"$DOCKER_CLI" import - busybox:latest <"$T/rootfs.tar" >/dev/null

# --- podman (isolated as in tests/interop/podman.sh; its default runtime, crun) -------------------
mkdir -p "$T"/podman/{root,runroot,libpod,tmp,net,volumes,hooks}
cat >"$T/podman/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[network]
network_backend = "cni"
network_config_dir = "$T/podman/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
lock_type = "file"
num_locks = 2048
tmp_dir = "$T/podman/libpod"
volume_path = "$T/podman/volumes"
hooks_dir = ["$T/podman/hooks"]
conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR=$T/podman/tmp"]
EOF
cat >"$T/podman/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$T/podman/root"
runroot = "$T/podman/runroot"
EOF
export CONTAINERS_CONF="$T/podman/containers.conf" CONTAINERS_STORAGE_CONF="$T/podman/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$T/podman/registries.conf"
echo 'unqualified-search-registries = []' >"$CONTAINERS_REGISTRIES_CONF"
PODMAN=(podman --root "$T/podman/root" --runroot "$T/podman/runroot" --tmpdir "$T/podman/libpod"
        --cgroup-manager cgroupfs --events-backend file)
PODMAN_OK=1
# `podman import` writes a blob-info cache to /var/lib/containers/cache whatever --root says.
# shellcheck disable=SC2016 # expanded by the inner sh
TMPDIR="$T/podman/tmp" unshare --mount --propagation private -- sh -c \
  'mount -t tmpfs -o size=16m,mode=755 tmpfs /var/lib && tar=$1 && shift && exec "$@" import - "$0" <"$tar"' \
  localhost/busybox:latest "$T/rootfs.tar" "${PODMAN[@]}" >/dev/null
P_RUN="--network none --pull never --cgroup-parent /$CG_PODMAN --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

# --- the bare crun bundles --------------------------------------------------------------------------
# "same": the config.json berthd writes for `run --network none busybox` (Docker's capabilities,
# seccomp profile, masked paths, devices and mounts), run by crun on a copy of the image's files
# (bench/lib/same_bundle.py); "same, no seccomp": that without its seccomp profile, against berth's
# `--security-opt seccomp=unconfined`; "minimal": `runc spec`'s default (three capabilities, no
# seccomp), as bench/run-runtime-bench.sh.
sid=$("${BERTH[@]}" run -d --network none busybox sleep 600)
for b in same same-noseccomp minimal; do
  mkdir -p "$T/bundle-$b"
  cp -a "$T/rootfs" "$T/bundle-$b/rootfs"
done
mkdir -p "$T/crun"
python3 "$here/lib/same_bundle.py" "$T/berth/exec/containers/$sid/config.json" "$T/bundle-same" "/$CG_CRUN" /bin/true
"${BERTH[@]}" rm -f "$sid" >/dev/null
python3 "$here/lib/same_bundle.py" --no-seccomp "$T/bundle-same/config.json" "$T/bundle-same-noseccomp" "/$CG_CRUN" /bin/true
(cd "$T/bundle-minimal" && runc spec)
python3 - "$T/bundle-minimal/config.json" "/$CG_CRUN" <<'EOF'
import json, sys
path, cgpath = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"]["readonly"] = False
c["linux"]["cgroupsPath"] = cgpath
for n in c["linux"]["namespaces"]:
    n.pop("path", None)
json.dump(c, open(path, "w"), indent=2)
EOF

# --- 6a. memory, idle -----------------------------------------------------------------------------
sleep 2
record mem-daemon-idle/berth "$(mb "$(rss_kb "$BERTHD_PID")")"
record mem-daemon-idle/docker "$(mb $(($(rss_kb "$DOCKERD_PID") + $(rss_kb "$CTD_PID"))))"
echo "# idle RSS: berthd $(mb "$mem_berthd_fresh") MB fresh, $(mb "$(rss_kb "$BERTHD_PID")") MB after import;" \
     "dockerd $(mb "$(rss_kb "$DOCKERD_PID")") + containerd $(mb "$(rss_kb "$CTD_PID")") MB"

# Command lines as words (the spec files and the helpers below split them on blanks; no path
# here has one: $T comes from mktemp under /tmp).
D="$DOCKER_CLI"
B="${BERTH[*]}"
P="${PODMAN[*]}"
# --- 1. run --rm /bin/true --------------------------------------------------------------------------
cat >"$T/run.spec" <<EOF
case run/berth
step $B run --rm --network none busybox /bin/true
case run/docker
step $D run --rm --network none --pull never busybox /bin/true
case run/podman
step $P run --rm $P_RUN localhost/busybox /bin/true
case run/crun
step $CRUN --root $T/crun run --bundle $T/bundle-same crun-{i}
case run-unconfined/berth
step $B run --rm --network none --security-opt seccomp=unconfined busybox /bin/true
case run-unconfined/crun
step $CRUN --root $T/crun run --bundle $T/bundle-same-noseccomp crun-u{i}
case run-minimal/crun
step $CRUN --root $T/crun run --bundle $T/bundle-minimal crun-m{i}
case run-default/berth
step $B run --rm busybox /bin/true
case run-default/docker
step $D run --rm --pull never busybox /bin/true
EOF
echo "## run --rm /bin/true (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/run.spec" "$N" "$WARMUP" "$RES"
berthd_note "run --rm"
# What each run's network is: its netns (vs the host's) and the interfaces in it.
# shellcheck disable=SC2016 # expanded in the container
netcheck='echo "$(readlink /proc/self/ns/net), interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"'
echo "# host netns $(readlink /proc/self/ns/net)"
echo "# berth run (default network): $($B run --rm busybox sh -c "$netcheck" 2>&1)"
echo "# berth run --network none:    $($B run --rm --network none busybox sh -c "$netcheck" 2>&1)"
echo "# docker run (default network): $($D run --rm --pull never busybox sh -c "$netcheck" 2>/dev/null)," \
     "NetworkMode $($D inspect -f '{{.HostConfig.NetworkMode}}' "$($D create --pull never busybox true 2>/dev/null)" && $D container prune -f >/dev/null)"
echo "# docker run --network none:    $($D run --rm --network none --pull never busybox sh -c "$netcheck" 2>&1)"
# shellcheck disable=SC2086 # $P_RUN: a list of flags
echo "# podman run --network none:    $($P run --rm $P_RUN localhost/busybox sh -c "$netcheck" 2>&1)"

# --- 4. create + start ----------------------------------------------------------------------------
cat >"$T/cs.spec" <<EOF
case create+start/berth
step $B create --name cs-{i} busybox sleep 600
step $B start cs-{i}
post $B rm -f cs-{i}
case create+start/docker
step $D create --name cs-{i} --network none --pull never busybox sleep 600
step $D start cs-{i}
post $D rm -f cs-{i}
case create+start/podman
step $P create --name cs-{i} $P_RUN localhost/busybox sleep 600
step $P start cs-{i}
post $P rm -f -t 0 cs-{i}
EOF
echo "## create + start (n=$N each, interleaved; rm -f untimed)"
"${TIMER[@]}" seq "$T/cs.spec" "$N" "$WARMUP" "$RES"
berthd_note "create + start"

# --- 5. N_CONC concurrent run -d ------------------------------------------------------------------
# shellcheck disable=SC2086 # word lists
conc() {
  case $1 in
    berth)  "${TIMER[@]}" par "conc50/berth" "$N_CONC" "$RES" $B run -d --name 'c-{i}' busybox sleep 600 ;;
    docker) "${TIMER[@]}" par "conc50/docker" "$N_CONC" "$RES" $D run -d --name 'c-{i}' --network none --pull never busybox sleep 600 ;;
    podman) "${TIMER[@]}" par "conc50/podman" "$N_CONC" "$RES" $P run -d --name 'c-{i}' $P_RUN localhost/busybox sleep 600 ;;
  esac
}
# Bounded: dockerd 20.10 once sat 11 minutes in a `rm -f` of its 50 containers here; a round
# that cannot clean up goes on (and the next `run -d --name c-N` of that engine fails, counted).
# shellcheck disable=SC2046,SC2086
remove_all() {
  case $1 in
    berth)  timeout 120 $B rm -f $(timeout 30 $B ps -aq) >/dev/null ;;
    docker) timeout 120 $D rm -f $(timeout 30 $D ps -aq) >/dev/null ;;
    podman) timeout 120 $P rm -a -f -t 0 >/dev/null ;;
  esac || echo "# $1: removing the round's containers failed or timed out" >&2
}
echo "## $N_CONC x run -d in parallel ($N_CONC_ROUNDS rounds, engines rotating)"
engines=(berth docker podman)
for ((r = 0; r < N_CONC_ROUNDS; r++)); do
  for ((k = 0; k < 3; k++)); do
    e=${engines[(r + k) % 3]}
    conc "$e" || true
    if ((r < N_CONC_ROUNDS - 1)); then remove_all "$e"; fi
    sleep 1
  done
done
for e in berth docker podman; do
  case $e in berth) n=$($B ps -q | wc -l) ;; docker) n=$($D ps -q | wc -l) ;; podman) n=$($P ps -q | wc -l) ;; esac
  echo "# $e: $n containers running"
done

# --- 6b. memory with N_CONC running ---------------------------------------------------------------
sleep 2
# shellcheck disable=SC2046 # lists of PIDs
mapfile -t bshims < <(pids_named berth-shim $(cat "/proc/$BERTHD_PID/task/"*/children 2>/dev/null))
# shellcheck disable=SC2046
mapfile -t dshims < <(pids_named containerd-shim $(pids_under "$T"))
# shellcheck disable=SC2046
mapfile -t conmons < <(pids_named conmon $(pids_under "$T"))
record mem-daemon-50/berth "$(mb "$(rss_kb "$BERTHD_PID")")"
record mem-daemon-50/docker "$(mb $(($(rss_kb "$DOCKERD_PID") + $(rss_kb "$CTD_PID"))))"
echo "# with $N_CONC running: berthd $(mb "$(rss_kb "$BERTHD_PID")") MB; dockerd $(mb "$(rss_kb "$DOCKERD_PID")") + containerd $(mb "$(rss_kb "$CTD_PID")") MB"
monitor_mem berth "${bshims[@]}"
monitor_mem docker "${dshims[@]}"
monitor_mem podman "${conmons[@]}"

# --- 2, 3. exec, ps, ps -a with N_CONC running ----------------------------------------------------
cat >"$T/ps.spec" <<EOF
case exec/berth
step $B exec c-1 /bin/true
case exec/docker
step $D exec c-1 /bin/true
case exec/podman
step $P exec c-1 /bin/true
case ps/berth
step $B ps
case ps/docker
step $D ps
case ps/podman
step $P ps
case ps-a/berth
step $B ps -a
case ps-a/docker
step $D ps -a
case ps-a/podman
step $P ps -a
EOF
echo "## exec, ps, ps -a with $N_CONC running (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/ps.spec" "$N" "$WARMUP" "$RES"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "Load average $load_start at start, $load_end at end (2 cores)."
echo "Engines: berth $BERTH_BUILD (berthd, berth-shim, berth CLI); dockerd $(dockerd --version | awk '{print $3}' | tr -d ,)" \
     "+ containerd $(containerd --version | awk '{print $3}') + $(runc --version | head -n1), Docker CLI" \
     "$("$DOCKER_CLI" version -f '{{.Client.Version}}')); podman $(podman --version | awk '{print $3}') + conmon + $("$CRUN" --version | head -n1)."
echo
N_CONC=$N_CONC "${TIMER[@]}" table "$RES"
