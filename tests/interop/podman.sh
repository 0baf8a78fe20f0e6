#!/usr/bin/env bash
# interop.podman: Debian's podman (4.3, with conmon) runs containers with
# `--runtime $BERTH_RUNTIME`. Podman is fully isolated: its own storage, run and
# tmp dirs, containers.conf/storage.conf, file locks, events file, cgroup parent
# and `--network none` for every container. Nothing is pulled: the image is a
# local busybox rootfs imported with `podman import`.
#
#   BERTH_RUNTIME=/usr/sbin/runc bash tests/interop/podman.sh
#   INTEROP_TRACE=1 ...   also log every runtime invocation (see docs/interop.md)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/common.bash"

RUNTIME=${BERTH_RUNTIME:?BERTH_RUNTIME must name the OCI runtime under test}
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -x "$RUNTIME" ]] || die "BERTH_RUNTIME=$RUNTIME is not an executable"
need_cmd podman conmon unshare timeout "$MAKE_ROOTFS"

# The runtime's default state dir: podman does not pass --root to the runtime, and cannot
# be made to (see docs/interop.md), so the runtime keeps its state in its default place.
remember_absent "${INTEROP_RUNTIME_ROOT:-/run/$(basename "$RUNTIME")}"
T=$(mktemp -d /tmp/berth-interop-podman.XXXXXX)
CG_NAME="berth-interop-podman-${T##*.}"   # the cgroup parent of every container here
IMAGE=localhost/berth-busybox

# Every container podman created in this run (from its events file, so --rm ones count too).
created_ids() {
  grep -oE '"ID":"[0-9a-f]{64}","Image"' "$T/events.log" 2>/dev/null | cut -d'"' -f4 | sort -u
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  print_trace
  # Podman first (stops and removes its containers), then whatever is left by hand.
  if [[ -n "${PODMAN_OK:-}" ]]; then
    timeout 20 "${PODMAN[@]}" rm --all --force --time 0 >/dev/null 2>&1
  fi
  kill_procs_under "$T"              # conmon, `podman container cleanup`, ...
  remove_cgroups "$CG_NAME"          # container processes, then the cgroups
  local id
  for id in $(created_ids); do       # runtime state (the runtime's default --root)
    "$RUNTIME" delete --force "$id" >/dev/null 2>&1
  done
  finish_cleanup "$rc" "podman interop"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- isolated podman ----------------------------------------------------------------------
mkdir -p "$T"/{root,runroot,libpod,tmp,net,volumes,hooks}
RT=$(trace_runtime "$RUNTIME")
# Podman passes --log-format=json only to runtimes it knows by name; list ours too.
cat >"$T/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[network]
network_backend = "cni"
network_config_dir = "$T/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
lock_type = "file"
num_locks = 128
tmp_dir = "$T/libpod"
volume_path = "$T/volumes"
hooks_dir = ["$T/hooks"]
# conmon puts its console sockets in \$TMPDIR (default /tmp, left there when a create fails).
conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR=$T/tmp"]
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "$(basename "$RUNTIME")"]
EOF
cat >"$T/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$T/root"
runroot = "$T/runroot"
EOF
export CONTAINERS_CONF="$T/containers.conf" CONTAINERS_STORAGE_CONF="$T/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$T/registries.conf" TMPDIR="$T/tmp"
echo 'unqualified-search-registries = []' >"$CONTAINERS_REGISTRIES_CONF"

PODMAN=(podman --root "$T/root" --runroot "$T/runroot" --tmpdir "$T/libpod"
        --cgroup-manager cgroupfs --events-backend file --runtime "$RT")
# --ulimit: this VM's root lacks CAP_SYS_RESOURCE, podman's default limits (1048576) fail.
RUN=(run --pull never --network none --cgroup-parent "/$CG_NAME"
     --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
podman() { capture "${PODMAN[@]}" "$@"; }
PODMAN_OK=1
echo "# podman $(command podman --version | awk '{print $3}'), runtime $RUNTIME, temp root $T"

# --- image: local busybox rootfs, never pulled --------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
# `podman import` writes a blob-info cache to /var/lib/containers/cache whatever --root
# says: give it a private, throw-away /var/lib in its own mount namespace.
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"
# shellcheck disable=SC2016 # expanded by the inner sh
capture unshare --mount --propagation private -- sh -c \
  'mount -t tmpfs -o size=16m,mode=755 tmpfs /var/lib && tar=$1 && shift && exec "$@" import - "$0" <"$tar"' \
  "$IMAGE" "$T/rootfs.tar" "${PODMAN[@]}"
[[ $RC -eq 0 ]] || die "podman import failed: $(why)"
ok "podman import of the busybox rootfs as $IMAGE"

# --- foreground runs -----------------------------------------------------------------------
podman "${RUN[@]}" --rm "$IMAGE" echo hello-from-podman
expect_eq "run (foreground) prints the command's output" hello-from-podman "$OUT"
[[ $RC -eq 0 ]] || not_ok "run (foreground) exit status: $(why)"

podman "${RUN[@]}" --rm "$IMAGE" sh -c 'exit 3'
expect_eq "run: exit status of sh -c 'exit 3'" 3 "$RC"

podman "${RUN[@]}" --rm -e BERTH_FOO=bar-baz "$IMAGE" sh -c 'echo "$BERTH_FOO"'
expect_eq "run -e sets the environment" bar-baz "$OUT"

podman "${RUN[@]}" --rm -u 1000:1000 "$IMAGE" id
expect_match "run -u 1000:1000 runs as uid/gid 1000" '^uid=1000\(app\) gid=1000\(app\)' "$OUT"

podman "${RUN[@]}" --rm -w /home/app "$IMAGE" pwd
expect_eq "run -w sets the working directory" /home/app "$OUT"

podman "${RUN[@]}" --rm -i "$IMAGE" cat <<<"stdin-through-podman"
expect_eq "run -i passes stdin" stdin-through-podman "$OUT"

podman "${RUN[@]}" --rm -t "$IMAGE" tty </dev/null
expect_match "run -t gets a pty (console socket)" '^/dev/pts/[0-9]+' "$(printf '%s' "$OUT" | tr -d '\r')"

podman "${RUN[@]}" --rm --memory 64m "$IMAGE" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
expect_eq "run --memory 64m: limit seen inside the container" 67108864 "$OUT"

# --- a detached container with limits ------------------------------------------------------
# The shell exits 0 on SIGTERM so `stop` shows the runtime delivered the signal.
podman "${RUN[@]}" -d --name berth-detached --memory 64m --pids-limit 16 "$IMAGE" \
  sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
CID=$OUT
[[ $RC -eq 0 && $CID =~ ^[0-9a-f]{64}$ ]] || die "run -d failed: $(why)"
ok "run -d starts a container ($CID)"

podman inspect -f '{{.State.Status}}' "$CID"
expect_eq "inspect: detached container is running" running "$OUT"
# Podman never asks `state`; ask it here so the "rm" check below cannot pass vacuously.
capture "$RUNTIME" state "$CID"
expect_match "runtime state ID (default --root) says running" '"status": *"running"' "$OUT"

podman inspect -f '{{.State.Pid}}' "$CID"
CPID=$OUT
cg_of() { awk -F: -v c="$1" '$2 == c { print $3 }' "/proc/$CPID/cgroup"; }
MEMCG="$(cgroup_mounts memory)$(cg_of memory)"
PIDSCG="$(cgroup_mounts pids)$(cg_of pids)"
FRZCG="$(cgroup_mounts freezer)$(cg_of freezer)"
in_cg_parent() { [[ "$(cg_of memory)" == "/$CG_NAME/"* ]]; }
check "container is in the cgroup parent /$CG_NAME" "/proc/$CPID/cgroup says memory:$(cg_of memory)" \
  in_cg_parent

expect_eq "--memory 64m: host memory.limit_in_bytes" 67108864 "$(cat "$MEMCG/memory.limit_in_bytes" 2>&1)"
podman inspect -f '{{.HostConfig.Memory}}' "$CID"
expect_eq "--memory 64m: podman inspect HostConfig.Memory" 67108864 "$OUT"
expect_eq "--pids-limit 16: host pids.max" 16 "$(cat "$PIDSCG/pids.max" 2>&1)"

# --- exec ------------------------------------------------------------------------------------
podman exec "$CID" sh -c 'echo exec-$((6 * 7))'
expect_eq "exec runs a process in the container" exec-42 "$OUT"
podman exec "$CID" sh -c 'exit 5'
expect_eq "exec: exit status of sh -c 'exit 5'" 5 "$RC"
podman exec -u 1000 -w /tmp -e BERTH_X=1 "$CID" sh -c 'echo $(id -u) $PWD $BERTH_X'
expect_eq "exec -u -w -e" "1000 /tmp 1" "$OUT"
podman exec "$CID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
expect_eq "exec: memory limit seen inside the container" 67108864 "$OUT"

# The pids limit holds: fork far more than 16 short sleeps; the kernel refuses past the
# limit (pids.events counts the refusals). Then wait for the sleeps to end, so later execs
# can fork again.
podman exec "$CID" sh -c 'i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i + 1)); done; echo forked-all'
PIDS_NOW=$(cat "$PIDSCG/pids.current" 2>&1)
PIDS_REFUSED=$(awk '$1 == "max" { print $2 }' "$PIDSCG/pids.events" 2>/dev/null || echo 0)
if [[ "$PIDS_NOW" =~ ^[0-9]+$ && "$PIDS_NOW" -le 16 && "${PIDS_REFUSED:-0}" -gt 0 ]]; then
  ok "--pids-limit 16 holds (pids.current=$PIDS_NOW, forks refused=$PIDS_REFUSED)"
else
  not_ok "--pids-limit 16 does not hold: pids.current=$PIDS_NOW pids.events max=$PIDS_REFUSED ($(why))"
fi
for _ in $(seq 50); do
  [[ $(cat "$PIDSCG/pids.current" 2>/dev/null || echo 0) -le 4 ]] && break
  sleep 0.2
done

# --- pause / unpause -------------------------------------------------------------------------
podman pause "$CID"
[[ $RC -eq 0 ]] || not_ok "pause failed: $(why)"
podman inspect -f '{{.State.Status}}' "$CID"
expect_eq "pause: state is paused" paused "$OUT"
expect_eq "pause: host freezer.state" FROZEN "$(cat "$FRZCG/freezer.state" 2>&1)"
podman unpause "$CID"
[[ $RC -eq 0 ]] || not_ok "unpause failed: $(why)"
podman inspect -f '{{.State.Status}}' "$CID"
expect_eq "unpause: state is running" running "$OUT"
expect_eq "unpause: host freezer.state" THAWED "$(cat "$FRZCG/freezer.state" 2>&1)"
podman exec "$CID" echo alive
expect_eq "unpause: exec works again" alive "$OUT"

# --- stop / rm -------------------------------------------------------------------------------
podman stop -t 20 "$CID"
[[ $RC -eq 0 ]] || not_ok "stop failed: $(why)"
podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CID"
expect_eq "stop: SIGTERM reached the container (exited, status 0)" "exited 0" "$OUT"

podman rm "$CID"
expect_eq "rm removes the container" 0 "$RC"
capture "$RUNTIME" state "$CID"
check "rm: the runtime no longer knows the container" "'$RUNTIME state $CID' still answers: $OUT" \
  [ "$RC" -ne 0 ]

# --- a container that exits by itself while detached ----------------------------------------
podman "${RUN[@]}" -d "$IMAGE" sh -c 'sleep 0.3; exit 7'
CID2=$OUT
podman wait "$CID2"
expect_eq "run -d + wait: exit status 7" 7 "$OUT"
podman rm "$CID2"
expect_eq "rm of an exited container" 0 "$RC"

# --- nothing left in the runtime ----------------------------------------------------------
# The last `podman container cleanup` (conmon's exit command) may still run: wait (bounded)
# until the runtime knows none of the containers.
runtime_knows_some() {
  local id
  known=()
  for id in $(created_ids); do
    "$RUNTIME" state "$id" >/dev/null 2>&1 && known+=("${id:0:12}")
  done
  ((${#known[@]} > 0))
}
for _ in $(seq 100); do runtime_knows_some || break; sleep 0.2; done
n=$(created_ids | wc -l)
check "all $n containers podman created are gone from the runtime" \
  "the runtime still knows: ${known[*]}" [ "$n" -ge 10 -a ${#known[@]} -eq 0 ]
