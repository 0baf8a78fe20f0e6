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
#   BERTH_IMAGE_TOOL=build/tests/tools/berth-image-tool bash tests/interop/docker_images.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/common.bash"
source "$HERE/lib/docker.bash"
TOOL=${BERTH_IMAGE_TOOL:-$HERE/../../build/tests/tools/berth-image-tool}
DOCKER_CLI=${INTEROP_DOCKER_CLI:-/usr/local/bin/docker}   # the real CLI 28, not Debian's 20.10
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -x "$TOOL" ]] || die "berth-image-tool not found at $TOOL (build target berth-image-tool, or set BERTH_IMAGE_TOOL)"
need_cmd dockerd containerd containerd-shim-runc-v2 runc "$DOCKER_CLI" jq sha256sum timeout \
  "$MAKE_ROOTFS"

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


cleanup() {
  docker_cleanup "$?" "docker image interop"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- containerd and dockerd, isolated (lib/docker.bash) ----------------------------------
start_docker_daemons
echo "# tool $TOOL"

docker() { capture "$DOCKER_CLI" "$@"; }
tool() { capture "$TOOL" "$BROOT" "$@"; }

# --- Docker -> berth ------------------------------------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
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
