#!/usr/bin/env bash
# interop.docker_images: berth's image service and Docker agree on images. Debian's
# dockerd 20.10 + containerd 1.6, isolated as in docker.sh (own root, state, sockets,
# pidfile, cgroup parent, no bridge/iptables, `--network none`), driven by the real
# Docker CLI 28; berth's side is tests/tools/berth-image-tool on a private image root.
#   1. docker import a busybox rootfs, docker save it; berth imports the archive and
#      reports the same image ID and diff IDs as `docker image inspect`.
#   2. berth tags it anew and exports a docker-archive; docker load takes it (same ID)
#      and `docker run` (default runc runtime) runs a command from it.
# Nothing is pulled and nothing touches the network.
#
#   BERTH_SHARED=/work/shared BERTH_IMAGE_TOOL=build/tests/tools/berth-image-tool \
#     bash tests/interop/docker_images.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/common.bash"

SHARED=${BERTH_SHARED:-$HERE/../../../shared}
TOOL=${BERTH_IMAGE_TOOL:-$HERE/../../build/tests/tools/berth-image-tool}
DOCKER_CLI=${INTEROP_DOCKER_CLI:-/usr/local/bin/docker}   # the real CLI 28, not Debian's 20.10
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -x "$TOOL" ]] || die "berth-image-tool not found at $TOOL (build target berth-image-tool, or set BERTH_IMAGE_TOOL)"
need_cmd dockerd containerd containerd-shim-runc-v2 runc "$DOCKER_CLI" jq sha256sum timeout \
  "$SHARED/fixtures/make-rootfs.sh"

# containerd 1.6 puts shim sockets in /run/containerd/s/ whatever its config says, and
# dockerd creates /run/docker/plugins: remove them again if this test created them.
remember_absent /run/containerd /run/containerd/s /run/docker /run/docker/plugins
T=$(mktemp -d /tmp/berth-interop-docker-images.XXXXXX)
CG_NAME="berth-interop-docker-images-${T##*.}"   # dockerd --cgroup-parent
CTD_SOCK="$T/containerd/containerd.sock"
BROOT="$T/berth"                                  # berth's image root
SRC_REF=berth-test/busybox:1
RT_REF=berth-test/roundtrip:2
CTD_PID='' DOCKERD_PID=''

created_ids() {
  timeout 10 "$DOCKER_CLI" events --since 0 --until "$(date +%s.%N)" \
    --filter type=container --filter event=create --format '{{.Actor.ID}}' 2>/dev/null | sort -u
}

# stop_pid PID NAME: TERM, wait up to 20 s, then KILL.
stop_pid() {
  local pid=$1 name=$2
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "cleanup: $name ($pid) ignored SIGTERM, killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if ((rc != 0 || FAILS > 0)) && [[ -f "$T/dockerd.log" ]]; then
    echo "# last dockerd log lines:"; grep -v 'module=grpc' "$T/dockerd.log" | tail -n 15 | sed 's/^/#   /'
  fi
  local ids=()
  if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    mapfile -t ids < <(created_ids)
    local all=()
    mapfile -t all < <(timeout 10 "$DOCKER_CLI" ps -aq 2>/dev/null)
    ((${#all[@]})) && timeout 20 "$DOCKER_CLI" rm -f "${all[@]}" >/dev/null 2>&1
  fi
  stop_pid "$DOCKERD_PID" dockerd
  stop_pid "$CTD_PID" containerd
  kill_procs_under "$T"              # shims (their command line names our containerd socket)
  remove_cgroups "$CG_NAME"
  local id
  for id in "${ids[@]}"; do          # shim sockets: /run/containerd/s/sha256(address/ns/id)
    rm -f "/run/containerd/s/$(printf '%s' "$CTD_SOCK/moby/$id" | sha256sum | cut -d' ' -f1)"
  done
  unmount_under "$T"
  rm -rf "$T" || echo "cleanup: could not remove $T" >&2
  remove_created_dirs
  if ((FAILS > 0)); then
    echo "# $FAILS check(s) failed"; rc=1
  elif ((rc != 0)); then
    echo "# aborted (exit status $rc)"
  else
    echo "# all docker image interop checks passed"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- containerd and dockerd, isolated (as in docker.sh) ------------------------------------
mkdir -p "$T"/{containerd/root,containerd/state,tmp,data,exec,cli}
cat >"$T/containerd/config.toml" <<TOML
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CTD_SOCK"
[ttrpc]
  address = "$CTD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
TMPDIR="$T/tmp" containerd --config "$T/containerd/config.toml" >"$T/containerd.log" 2>&1 &
CTD_PID=$!
for _ in $(seq 100); do [[ -S "$CTD_SOCK" ]] && break; kill -0 "$CTD_PID" 2>/dev/null || break; sleep 0.1; done
[[ -S "$CTD_SOCK" ]] || die "containerd did not start: $(tail -n 5 "$T/containerd.log")"

cat >"$T/daemon.json" <<JSON
{ "deprecated-key-path": "$T/key.json" }
JSON
export DOCKER_HOST="unix://$T/docker.sock" DOCKER_CONFIG="$T/cli"
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
TMPDIR="$T/tmp" dockerd --config-file "$T/daemon.json" --data-root "$T/data" --exec-root "$T/exec" \
  --pidfile "$T/dockerd.pid" -H "$DOCKER_HOST" --containerd "$CTD_SOCK" \
  --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
  --storage-driver overlay2 --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$CG_NAME" \
  >"$T/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 150); do
  "$DOCKER_CLI" version >/dev/null 2>&1 && break
  kill -0 "$DOCKERD_PID" 2>/dev/null || break
  sleep 0.2
done
"$DOCKER_CLI" version >/dev/null 2>&1 \
  || die "dockerd did not start: $(grep -v module=grpc "$T/dockerd.log" | tail -n 5)"
echo "# dockerd $(dockerd --version | awk '{print $3}' | tr -d ,), containerd $(containerd --version | awk '{print $3}')," \
     "CLI $("$DOCKER_CLI" version -f '{{.Client.Version}}'), tool $TOOL, temp root $T"

docker() { capture "$DOCKER_CLI" "$@"; }
tool() { capture "$TOOL" "$BROOT" "$@"; }

# --- Docker -> berth ------------------------------------------------------------------------
"$SHARED/fixtures/make-rootfs.sh" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"
docker import "$T/rootfs.tar" "$SRC_REF"
[[ $RC -eq 0 ]] || die "docker import failed: $(why)"
ok "docker import of the busybox rootfs as $SRC_REF"

docker image inspect --format '{{.Id}}' "$SRC_REF"
DOCKER_ID=$OUT
[[ $RC -eq 0 && $DOCKER_ID =~ ^sha256:[0-9a-f]{64}$ ]] || die "docker image inspect (Id) failed: $(why)"
docker image inspect --format '{{json .RootFS.Layers}}' "$SRC_REF"
DOCKER_LAYERS=$(printf '%s' "$OUT" | jq -c . 2>/dev/null) || DOCKER_LAYERS=''
[[ $RC -eq 0 && -n $DOCKER_LAYERS ]] || die "docker image inspect (RootFS.Layers) failed: $(why)"

docker save -o "$T/saved.tar" "$SRC_REF"
[[ $RC -eq 0 && -s "$T/saved.tar" ]] || die "docker save failed: $(why)"
ok "docker save $SRC_REF"

tool import-archive "$T/saved.tar"
[[ $RC -eq 0 ]] || die "berth-image-tool import-archive of the docker save output failed: $(why)"
ok "berth imports the docker save archive"
IMPORTED=$(printf '%s\n' "$OUT" | head -n 1)
expect_eq "berth's imported image ID equals docker's" "$DOCKER_ID" "$(jq -r .id <<<"$IMPORTED" 2>&1)"
expect_eq "berth's imported image has the archive's tag" \
  '["docker.io/berth-test/busybox:1"]' "$(jq -c .refs <<<"$IMPORTED" 2>&1)"

tool inspect "$SRC_REF"
[[ $RC -eq 0 ]] || not_ok "berth-image-tool inspect $SRC_REF: $(why)"
expect_eq "berth inspect $SRC_REF: image ID equals docker's" "$DOCKER_ID" "$(jq -r .id <<<"$OUT" 2>&1)"
expect_eq "berth inspect $SRC_REF: diff IDs equal docker's RootFS.Layers" \
  "$DOCKER_LAYERS" "$(jq -c .diff_ids <<<"$OUT" 2>&1)"

# --- berth -> Docker ------------------------------------------------------------------------
tool tag "$SRC_REF" "$RT_REF"
[[ $RC -eq 0 ]] || die "berth-image-tool tag $SRC_REF $RT_REF failed: $(why)"
tool export-archive "$T/berth-export.tar" "$RT_REF"
[[ $RC -eq 0 && -s "$T/berth-export.tar" ]] || die "berth-image-tool export-archive $RT_REF failed: $(why)"
ok "berth exports $RT_REF as a docker-archive"

docker image rm "$SRC_REF"     # so that the load below has to bring the image itself
[[ $RC -eq 0 ]] || not_ok "docker image rm $SRC_REF: $(why)"
docker load -i "$T/berth-export.tar"
[[ $RC -eq 0 ]] || die "docker load -i of berth's archive failed: $(why)"
expect_match "docker load of berth's archive reports $RT_REF" "Loaded image: $RT_REF" "$OUT"
docker image inspect --format '{{.Id}}' "$RT_REF"
expect_eq "docker's image ID for $RT_REF equals berth's" "$DOCKER_ID" "$OUT"
docker image inspect --format '{{json .RootFS.Layers}}' "$RT_REF"
expect_eq "docker's diff IDs for $RT_REF equal the original's" "$DOCKER_LAYERS" "$(printf '%s' "$OUT" | jq -c . 2>&1)"

docker run --rm --pull never --network none "$RT_REF" sh -c 'echo hello-from-berth-export'
expect_eq "docker run of berth's exported image prints the command's output" hello-from-berth-export "$OUT"
[[ $RC -eq 0 ]] || not_ok "docker run of $RT_REF exit status: $(why)"

# --- and back: docker save of the loaded image re-imports into berth unchanged --------------
docker save -o "$T/resaved.tar" "$RT_REF"
[[ $RC -eq 0 ]] || not_ok "docker save $RT_REF: $(why)"
tool import-archive "$T/resaved.tar"
expect_eq "berth re-imports docker's save of $RT_REF with the same ID" "$DOCKER_ID" \
  "$(printf '%s\n' "$OUT" | head -n 1 | jq -r .id 2>&1)"
