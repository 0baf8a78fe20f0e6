#!/usr/bin/env bash
# run-cri-bench.sh: the Kubernetes CRI, berthd against Debian's containerd 1.6 with its CRI
# plugin (runc, overlayfs), in one run, the same Python CRI client (tests/e2e/lib/cri_client.py,
# built from proto/runtime/v1/api.proto) driving both. A benchmark, not a test (not in CTest).
#
#   bench/run-cri-bench.sh               (as root; a few minutes)
#   N=3 PODS=5 bench/run-cri-bench.sh    (a quick try)
#
# Both pull busybox from Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.sh,
# images from tests/fixtures/registry-images.sh); containerd's sandbox image is a "pause" made
# here from that busybox (entrypoint `sleep 2147483647`) and pushed to the same registry: nothing
# comes from the internet. Each runtime has its own temp root, state (on a tmpfs, as /run is on
# a node), socket, CNI conf dir
# (berthd: bridge bcri1, 10.214.1.0/24; containerd: bctrd0, 10.215.0.0/24, Debian's plugins in
# /usr/lib/cni) and cgroup parent. Measures (bench/lib/cri_bench.py): RunPodSandbox,
# CreateContainer+StartContainer, StopPodSandbox+RemovePodSandbox per pod (medians, interleaved
# rounds), PODS pods started concurrently (wall time), the daemons' RSS with PODS pods and the
# RSS of their per-pod processes (containerd: a shim and a pause per pod; berth: a monitor per
# container, and a berth-init only for a pod-wide PID namespace, which these pods do not ask for,
# as the kubelet's pods without shareProcessNamespace do not), and in each round berth's network
# list's plugins run directly (bench/lib/cni_floor.py): the CNI time no runtime can avoid.
# Environment: BERTH_BUILD (default <repo>/build), N (default 10), WARMUP (1), PODS (20),
#   KEEP_RESULTS (a file for the raw results), BERTHD_ARGS (more berthd flags, e.g. -D for the
#   per-step times of each pod RPC in its log), KEEP_LOG (a file for berthd's log), SMAPS_DIR (a dir
#   for both daemons' /proc/PID/smaps, idle and with the pods), LOOPBACK_IN_CHAIN=1 (the loopback
#   plugin in the network list too, see cni_conf below).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-cri-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-10}
WARMUP=${WARMUP:-1}
PODS=${PODS:-20}
FIXTURES=$repo/tests/fixtures
PY=/usr/bin/python3  # Debian's: python3-grpcio, python3-grpc-tools

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in containerd containerd-shim-runc-v2 runc skopeo umoci "$PY" /usr/lib/cni/bridge \
  "$BERTH_BUILD/cmd/berthd/berthd" "$BERTH_BUILD/cmd/berth-shim/berth-shim"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-cri-bench.sh: missing $c" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-cri-bench.XXXXXX)
CG_BERTH="berth-cribench-$$"
CG_CTRD="ctrd-cribench-$$"
BR_BERTH=bcri1 BR_CTRD=bctrd0
NFT_BERTH="berth_cribench_$$"
BERTHD_PID='' CTRD_PID=''
RES=$T/results.tsv

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if ((rc != 0)); then
    echo "# last berthd log lines:"; tail -n 10 "$T/berthd.log" 2>/dev/null | sed 's/^/#   /'
    echo "# last containerd log lines:"; tail -n 10 "$T/containerd.log" 2>/dev/null | sed 's/^/#   /'
  fi
  stop_pid "$BERTHD_PID" berthd
  stop_pid "$CTRD_PID" containerd
  "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1
  kill_procs_under "$T"   # shims, pause and container processes started for this run
  remove_cgroups "$CG_BERTH"
  remove_cgroups "$CG_CTRD"
  unmount_under "$T"
  for b in "$BR_BERTH" "$BR_CTRD" "bt-cb$$"; do ip link show "$b" >/dev/null 2>&1 && ip link del "$b"; done
  nft list table ip "$NFT_BERTH" >/dev/null 2>&1 && nft delete table ip "$NFT_BERTH"
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  [[ -n ${KEEP_LOG:-} && -f $T/berthd.log ]] && cp "$T/berthd.log" "$KEEP_LOG"
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"
# --- the registry, busybox and a pause image made from it ------------------------------------------
eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 | grep '^REGISTRY=')"
"$FIXTURES/registry-images.sh" --registry "$REGISTRY" --work "$T/images" >/dev/null
L=$T/images/oci
umoci config --image "$L:busybox" --tag pause --no-history \
  --config.entrypoint /bin/sleep --config.cmd 2147483647 >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$L:pause" "docker://$REGISTRY/bench/pause:1" >/dev/null
IMAGE=$REGISTRY/test/busybox:v2s2
PAUSE=$REGISTRY/bench/pause:1

# --- CNI configurations ---------------------------------------------------------------------------
# The list containerd's install-cni and berth's set-up (packaging/cni/10-berth.conflist) write:
# bridge (host-local) and portmap. Both runtimes bring the pod's lo up themselves (containerd
# runs the loopback plugin as a network of its own, beside this list; berthd sets IFF_UP when
# it makes the namespace). LOOPBACK_IN_CHAIN=1 appends the loopback plugin to the list as well
# (the bench's list before 2026-12-07 15:00), which both then run in the chain.
cni_conf() {  # DIR NAME BRIDGE SUBNET VERSION
  mkdir -p "$1" "$T/ipam-$2"
  local lo=''
  [[ ${LOOPBACK_IN_CHAIN:-0} == 1 ]] && lo=',
  {"type": "loopback"}'
  cat >"$1/10-$2.conflist" <<JSON
{"cniVersion": "$5", "name": "$2", "plugins": [
  {"type": "bridge", "bridge": "$3", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$4"}]], "dataDir": "$T/ipam-$2"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}$lo]}
JSON
}
cni_conf "$T/berth/net.d" bcri "$BR_BERTH" 10.214.1.0/24 1.0.0
cni_conf "$T/ctrd/net.d" bctrd "$BR_CTRD" 10.215.0.0/24 0.4.0

# --- the daemons' run-time state on a tmpfs, as /run is on a node (berthd's exec-root /run/berth,
# containerd's state /run/containerd); their persistent roots stay on the disk under $T.
mkdir -p "$T/run"
mount -t tmpfs -o mode=0711 bench-run "$T/run"

# --- berthd -----------------------------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/run/berth" \
  -H "unix://$T/berth/berth.sock" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --bridge "bt-cb$$" --firewall-table "$NFT_BERTH" --config-file "$T/berthd.json" \
  --cri-socket "$T/berth/cri.sock" --cni-conf-dir "$T/berth/net.d" --cni-bin-dir /usr/lib/cni \
  --cni-cache-dir "$T/berth/cni-cache" --shim-path "$BERTH_BUILD/cmd/berth-shim/berth-shim" --notify-fd 3 \
  ${BERTHD_ARGS:-} 3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready" >&2; exit 1; }

# --- containerd with its CRI plugin -------------------------------------------------------------------
mkdir -p "$T/ctrd/certs.d/$REGISTRY"
cat >"$T/ctrd/certs.d/$REGISTRY/hosts.toml" <<TOML
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
TOML
cat >"$T/ctrd/config.toml" <<TOML
version = 2
root = "$T/ctrd/root"
state = "$T/run/ctrd"
[grpc]
  address = "$T/ctrd/containerd.sock"
[ttrpc]
  address = "$T/ctrd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/ctrd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_cdi = false
  # The sandbox's oom_score_adj (-998) below containerd's own needs CAP_SYS_RESOURCE,
  # which this machine's root lacks: capped at containerd's, as for a rootless node.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$T/run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$T/ctrd/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$T/ctrd/certs.d"
TOML
containerd --config "$T/ctrd/config.toml" >"$T/containerd.log" 2>&1 &
CTRD_PID=$!

# --- the measures -------------------------------------------------------------------------------------
mkdir -p "$T/logs"
"$PY" "$here/lib/cri_bench.py" --image "$IMAGE" --n "$N" --warmup "$WARMUP" --pods "$PODS" --logs "$T/logs" \
  --results "$RES" --cni-floor "$T/berth/net.d/10-bcri.conflist,/usr/lib/cni,$T" ${SMAPS_DIR:+--smaps-dir "$SMAPS_DIR"} \
  --runtime "berth=$T/berth/cri.sock,$BERTHD_PID,/$CG_BERTH,berth-shim,comm:berth-init,$T/" \
  --runtime "containerd=$T/ctrd/containerd.sock,$CTRD_PID,/$CG_CTRD,containerd-shim-runc-v2,/bin/sleep 2147483647,$T/" \
  >"$T/table.md"
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). berth $("$BERTH_BUILD/cmd/berthd/berthd" --version | cut -d' ' -f3), containerd $(containerd --version | cut -d' ' -f3), runc $(runc --version | head -1 | cut -d' ' -f3)."
cat "$T/table.md"
