#!/usr/bin/env bash
# interop.docker: Debian's dockerd 20.10 + containerd 1.6 (containerd-shim-runc-v2) run
# containers with `--runtime berth` = $BERTH_RUNTIME, driven by the real Docker CLI 28.
# The test starts its own containerd and dockerd: own config, root, state, sockets,
# pidfile, cgroup parent, no bridge/iptables/ip-forward, every container `--network
# none`. Nothing is pulled: the image is a local busybox rootfs `docker import`ed.
#
#   BERTH_RUNTIME=/usr/sbin/runc bash tests/interop/docker.sh
#   INTEROP_TRACE=1 ...   also log every runtime invocation (see docs/interop.md)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/common.bash"
source "$HERE/lib/docker.bash"

RUNTIME=${BERTH_RUNTIME:?BERTH_RUNTIME must name the OCI runtime under test}
DOCKER_CLI=${INTEROP_DOCKER_CLI:-/usr/local/bin/docker}   # the real CLI 28, not Debian's 20.10
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -x "$RUNTIME" ]] || die "BERTH_RUNTIME=$RUNTIME is not an executable"
need_cmd dockerd containerd containerd-shim-runc-v2 "$DOCKER_CLI" sha256sum timeout \
  "$MAKE_ROOTFS"

# containerd 1.6 puts shim sockets in /run/containerd/s/ whatever its config says, and
# dockerd creates /run/docker/plugins: remove them again if this test created them.
remember_absent /run/containerd /run/containerd/s /run/docker /run/docker/plugins
T=$(mktemp -d /tmp/berth-interop-docker.XXXXXX)
CG_NAME="berth-interop-docker-${T##*.}"   # dockerd --cgroup-parent: /CG_NAME/<container id>
IMAGE=berth-busybox:latest
CTD_SOCK="$T/containerd/containerd.sock"
RTROOT=''                               # the --root dockerd gives the runtime (under $T/exec)

# Every container dockerd created in this run (from its event log: --rm ones count too).
CTD_PID='' DOCKERD_PID=''


cleanup() {
  local rc=$?
  print_trace
  docker_cleanup "$rc" "docker interop"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- containerd and dockerd, isolated ------------------------------------------------------
RT=$(trace_runtime "$RUNTIME")
start_docker_daemons --add-runtime "berth=$RT"
echo "# runtime $RUNTIME"

docker() { capture "$DOCKER_CLI" "$@"; }
RUN=(run --runtime berth --pull never --network none)

# --- image: local busybox rootfs, never pulled --------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"
docker import "$T/rootfs.tar" "$IMAGE"
[[ $RC -eq 0 ]] || die "docker import failed: $(why)"
ok "docker import of the busybox rootfs as $IMAGE"

# --- foreground runs -----------------------------------------------------------------------
docker "${RUN[@]}" --rm "$IMAGE" echo hello-from-docker
expect_eq "run (foreground) prints the command's output" hello-from-docker "$OUT"
[[ $RC -eq 0 ]] || not_ok "run (foreground) exit status: $(why)"

docker "${RUN[@]}" --rm "$IMAGE" sh -c 'exit 3'
expect_eq "run: exit status of sh -c 'exit 3'" 3 "$RC"

docker "${RUN[@]}" --rm -e BERTH_FOO=bar-baz -u 1000:1000 -w /home/app "$IMAGE" \
  sh -c 'echo "$BERTH_FOO $(id -u):$(id -g) $PWD"'
expect_eq "run -e -u 1000:1000 -w" "bar-baz 1000:1000 /home/app" "$OUT"

docker "${RUN[@]}" --rm -i "$IMAGE" cat <<<"stdin-through-docker"
expect_eq "run -i passes stdin" stdin-through-docker "$OUT"

docker "${RUN[@]}" --rm -t "$IMAGE" tty </dev/null
expect_match "run -t gets a pty (console socket)" '^/dev/pts/[0-9]+' "$(printf '%s' "$OUT" | tr -d '\r')"

docker "${RUN[@]}" --rm --memory 48m "$IMAGE" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
expect_eq "run --memory 48m: limit seen inside the container" 50331648 "$OUT"

# --- a detached container -------------------------------------------------------------------
docker "${RUN[@]}" -d --memory 32m "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
CID=$OUT
[[ $RC -eq 0 && $CID =~ ^[0-9a-f]{64}$ ]] || die "run -d failed: $(why)"
ok "run -d starts a container (${CID:0:12})"
docker inspect -f '{{.State.Status}}' "$CID"
expect_eq "inspect: detached container is running" running "$OUT"
# The shim never asks `state`; ask it here so the "rm" checks below cannot pass vacuously.
RTROOT=$(find "$T/exec" -maxdepth 2 -type d -path "$T/exec/runtime-*/moby" | head -n 1)
capture "$RUNTIME" --root "${RTROOT:-$T/exec/runtime-runc/moby}" state "$CID"
expect_match "runtime --root $RTROOT state ID says running" '"status": *"running"' "$OUT"

MEMCG="$(cgroup_mounts memory)/$CG_NAME/$CID"
FRZCG="$(cgroup_mounts freezer)/$CG_NAME/$CID"
expect_eq "--memory 32m: host $MEMCG/memory.limit_in_bytes" 33554432 "$(cat "$MEMCG/memory.limit_in_bytes" 2>&1)"
SHIM_SOCK="/run/containerd/s/$(printf '%s' "$CTD_SOCK/moby/$CID" | sha256sum | cut -d' ' -f1)"
[[ -S "$SHIM_SOCK" ]] || echo "# note: shim socket not where expected ($SHIM_SOCK)"

docker exec "$CID" sh -c 'echo exec-$((6 * 7))'
expect_eq "exec runs a process in the container" exec-42 "$OUT"
docker exec "$CID" sh -c 'exit 5'
expect_eq "exec: exit status of sh -c 'exit 5'" 5 "$RC"
docker exec -u 1000 -w /tmp -e BERTH_X=1 "$CID" sh -c 'echo $(id -u) $PWD $BERTH_X'
expect_eq "exec -u -w -e" "1000 /tmp 1" "$OUT"
docker exec -t "$CID" tty </dev/null
expect_match "exec -t gets a pty (console socket)" '^/dev/pts/[0-9]+' "$(printf '%s' "$OUT" | tr -d '\r')"

# docker top: the runc shim asks the runtime (`ps --format json`) for the container's pids.
docker top "$CID" -o pid,args
expect_match "top lists the container's processes" 'trap "exit 0" TERM' "$OUT"

# docker stats: the shim reads the container's cgroup (found through the runtime's state).
docker stats --no-stream --format '{{.MemUsage}}' "$CID"
expect_match "stats --no-stream shows memory usage / limit 32MiB" '^[0-9.]+[kKMG]i?B / 32MiB$' "$OUT"

docker update --memory 64m "$CID"
[[ $RC -eq 0 ]] || not_ok "update --memory 64m failed: $(why)"
expect_eq "update --memory 64m: host memory.limit_in_bytes" 67108864 "$(cat "$MEMCG/memory.limit_in_bytes" 2>&1)"
docker inspect -f '{{.HostConfig.Memory}}' "$CID"
expect_eq "update --memory 64m: inspect HostConfig.Memory" 67108864 "$OUT"
docker stats --no-stream --format '{{.MemUsage}}' "$CID"
expect_match "update --memory 64m: stats shows the new limit" ' / 64MiB$' "$OUT"

docker pause "$CID"
docker inspect -f '{{.State.Status}}' "$CID"
expect_eq "pause: state is paused" paused "$OUT"
expect_eq "pause: host freezer.state" FROZEN "$(cat "$FRZCG/freezer.state" 2>&1)"
docker unpause "$CID"
docker inspect -f '{{.State.Status}}' "$CID"
expect_eq "unpause: state is running" running "$OUT"

docker stop -t 20 "$CID"
[[ $RC -eq 0 ]] || not_ok "stop failed: $(why)"
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CID"
expect_eq "stop: SIGTERM reached the container (exited, status 0)" "exited 0" "$OUT"

docker rm "$CID"
expect_eq "rm removes the container" 0 "$RC"
docker inspect "$CID"
check "rm: docker no longer knows the container" "inspect still answers" [ "$RC" -ne 0 ]
capture "$RUNTIME" --root "$RTROOT" state "$CID"
check "rm: the runtime no longer knows the container" "'state' still answers: $OUT" [ "$RC" -ne 0 ]
check "rm: the shim exited and removed its socket" "$SHIM_SOCK is still there" [ ! -e "$SHIM_SOCK" ]

# --- kill, and a container that exits by itself ---------------------------------------------
docker "${RUN[@]}" -d "$IMAGE" sleep 1000
CID2=$OUT
docker kill "$CID2"
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CID2"
expect_eq "kill: SIGKILL ends the container (exited, status 137)" "exited 137" "$OUT"
docker rm "$CID2"

docker "${RUN[@]}" -d "$IMAGE" sh -c 'sleep 0.3; exit 7'
CID3=$OUT
docker wait "$CID3"
expect_eq "run -d + wait: exit status 7" 7 "$OUT"
docker rm "$CID3"
expect_eq "rm of an exited container" 0 "$RC"

# --- nothing left in the runtime or in /run/containerd/s -----------------------------------
known=() socks=()
mapfile -t ids < <(created_ids)
for id in "${ids[@]}"; do
  "$RUNTIME" --root "$RTROOT" state "$id" >/dev/null 2>&1 && known+=("${id:0:12}")
  sock="/run/containerd/s/$(printf '%s' "$CTD_SOCK/moby/$id" | sha256sum | cut -d' ' -f1)"
  [[ -e "$sock" ]] && socks+=("${id:0:12}")
done
check "all ${#ids[@]} containers dockerd created are gone from the runtime" \
  "the runtime still knows: ${known[*]}" [ "${#ids[@]}" -ge 9 -a ${#known[@]} -eq 0 ]
check "no shim socket left for them" "sockets left for: ${socks[*]}" [ ${#socks[@]} -eq 0 ]
