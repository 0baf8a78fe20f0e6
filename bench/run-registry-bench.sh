#!/usr/bin/env bash
# run-registry-bench.sh: pull and push, berth (berthd + berth CLI) against Docker 20.10 (dockerd
# + containerd, driven by the Docker CLI 28), both with the same Debian docker-registry on
# 127.0.0.1 (tests/fixtures/registry.sh), in one run. A benchmark, not a test (not in CTest).
#
#   bench/run-registry-bench.sh                    (as root; a few minutes)
#   N=3 bench/run-registry-bench.sh                (a quick try)
#
# Images (made here, pushed with skopeo): "big", one layer of 100 MiB of random bytes (gzip
# cannot shrink it: the transfer and the hashing are measured); "small", 5 layers of 2000 files
# of 1-8 KiB each (~22 MiB; unpacking many small files is measured).
# Measures (interleaved: every round runs each engine once, the first rotating):
#   pull    `pull REF` wall time including unpack; the image is removed (rmi, untimed) after each
#   push    `push REF` to a second registry whose storage is wiped after each push (untimed), so
#           every layer is uploaded (no "already exists", no mount)
# Throughput = image bytes / median time.
# Environment: BERTH_BUILD (default <repo>/build), N (default 10), WARMUP (default 1),
#   DOCKER_CLI (default /usr/local/bin/docker), KEEP_RESULTS (a file for the raw results).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-registry-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-10}
WARMUP=${WARMUP:-1}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
TIMER=(python3 "$here/lib/engine_timer.py")
FIXTURES=$repo/tests/fixtures

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd skopeo umoci "$DOCKER_CLI" "$BERTH_BUILD/cmd/berthd/berthd" "$BERTH_BUILD/cmd/berth/berth"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-registry-bench.sh: missing $c" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-registry-bench.XXXXXX)
CG_NAME="berth-rbench-docker-$$"
CG_BERTH="berth-rbench-$$"
BRIDGE_BERTH="brb-$$"
NFT_BERTH="berth_rbench_$$"
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID=''
RES=$T/results.tsv
: >"$RES"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_pid "$BERTHD_PID" berthd
  "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1
  "$FIXTURES/registry.sh" stop --dir "$T/push-registry" >/dev/null 2>&1
  remove_cgroups "$CG_BERTH"
  ip link show "$BRIDGE_BERTH" >/dev/null 2>&1 && ip link del "$BRIDGE_BERTH"
  nft list table ip "$NFT_BERTH" >/dev/null 2>&1 && nft delete table ip "$NFT_BERTH"
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  docker_cleanup "$rc" "registry bench"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"
# --- the registry and the images ------------------------------------------------------------------
eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 | grep '^REGISTRY=')"
eval "$(REGISTRY_BLOB_CACHE=none "$FIXTURES/registry.sh" start --dir "$T/push-registry" --port 0 |
  sed -n 's/^REGISTRY=/PUSH_REGISTRY=/p')"
L=$T/oci
umoci init --layout "$L" >/dev/null
umoci new --image "$L:big" >/dev/null
mkdir -p "$T/big/data"
head -c $((100 << 20)) /dev/urandom >"$T/big/data/random.bin"
# Layers are tars of our own: umoci 0.4.7's insert writes truncated archives for many files.
layer_tar() { tar -C "$1" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$2" .; }
layer_tar "$T/big" "$T/big.tar"
umoci raw add-layer --image "$L:big" "$T/big.tar" >/dev/null
umoci new --image "$L:small" >/dev/null
python3 - "$T/small" <<'PY'
import os, random, sys
random.seed(1)
root = sys.argv[1]
for layer in range(5):
    d = os.path.join(root, f"l{layer}", f"dir{layer}")
    for sub in range(20):
        os.makedirs(os.path.join(d, f"s{sub}"), exist_ok=True)
        for f in range(100):
            with open(os.path.join(d, f"s{sub}", f"f{f}"), "wb") as out:
                out.write(os.urandom(random.randint(1024, 8192)))
PY
for layer in 0 1 2 3 4; do
  layer_tar "$T/small/l$layer" "$T/small-$layer.tar"
  umoci raw add-layer --image "$L:small" "$T/small-$layer.tar" >/dev/null
done
for img in big small; do
  skopeo copy -q --dest-tls-verify=false --format v2s2 "oci:$L:$img" "docker://$REGISTRY/bench/$img:1" >/dev/null
done
size_of() { du -sb "$1" | cut -f1; }
BIG_BYTES=$(size_of "$T/big/data")
SMALL_BYTES=$(size_of "$T/small")
echo "# registry $REGISTRY; big: $BIG_BYTES bytes in 1 layer; small: $SMALL_BYTES bytes in 5 layers of 2000 files"

# --- the daemons --------------------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
  -H "unix://$T/berth.sock" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --bridge "$BRIDGE_BERTH" --firewall-table "$NFT_BERTH" --config-file "$T/berthd.json" --notify-fd 3 \
  3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready" >&2; exit 1; }
B="$BERTH_BUILD/cmd/berth/berth -H unix://$T/berth.sock"
# shellcheck disable=SC2119 # no extra dockerd flags
start_docker_daemons >/dev/null
D="$DOCKER_CLI"

# --- pull ---------------------------------------------------------------------------------------
cat >"$T/pull.spec" <<SPEC
case pull-big/berth
step $B pull -q $REGISTRY/bench/big:1
post $B rmi $REGISTRY/bench/big:1
case pull-big/docker
step $D pull -q $REGISTRY/bench/big:1
post $D rmi $REGISTRY/bench/big:1
case pull-small/berth
step $B pull -q $REGISTRY/bench/small:1
post $B rmi $REGISTRY/bench/small:1
case pull-small/docker
step $D pull -q $REGISTRY/bench/small:1
post $D rmi $REGISTRY/bench/small:1
SPEC
echo "## pull (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/pull.spec" "$N" "$WARMUP" "$RES"

# --- push: to the second registry, emptied after each push ----------------------------------------
for e in berth docker; do
  cli=$B; [[ $e == docker ]] && cli=$D
  for img in big small; do
    $cli pull -q "$REGISTRY/bench/$img:1" >/dev/null
    $cli tag "$REGISTRY/bench/$img:1" "$PUSH_REGISTRY/push-$e/$img:1"
  done
done
cat >"$T/push.spec" <<SPEC
case push-big/berth
step $B push -q $PUSH_REGISTRY/push-berth/big:1
post rm -rf $T/push-registry/data/docker
case push-big/docker
step $D push -q $PUSH_REGISTRY/push-docker/big:1
post rm -rf $T/push-registry/data/docker
case push-small/berth
step $B push -q $PUSH_REGISTRY/push-berth/small:1
post rm -rf $T/push-registry/data/docker
case push-small/docker
step $D push -q $PUSH_REGISTRY/push-docker/small:1
post rm -rf $T/push-registry/data/docker
SPEC
echo "## push (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/push.spec" "$N" "$WARMUP" "$RES"

echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), Docker CLI $("$D" version -f '{{.Client.Version}}' 2>/dev/null)."
python3 - "$RES" "$BIG_BYTES" "$SMALL_BYTES" <<'PY'
import statistics, sys
res, big, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
vals = {}
for line in open(res):
    k, _, v = line.strip().partition("\t")
    vals.setdefault(k, []).append(float(v))
print("| measure | berth ms | docker ms | berth MB/s | docker MB/s | berth/docker throughput |")
print("|---|---:|---:|---:|---:|---:|")
for op in ("pull", "push"):
    for img, size in (("big", big), ("small", small)):
        b, d = vals.get(f"{op}-{img}/berth"), vals.get(f"{op}-{img}/docker")
        if not b or not d:
            continue
        mb, md = statistics.median(b), statistics.median(d)
        tb, td = size / 1e6 / (mb / 1e3), size / 1e6 / (md / 1e3)
        title = {"big": "100 MiB, 1 layer", "small": f"{size / 2**20:.0f} MiB, 5 layers x 2000 files"}[img]
        print(f"| {op} {title} (median, n={len(b)}) | {mb:.0f} | {md:.0f} | {tb:.0f} | {td:.0f} | **{tb / td:.2f}** |")
PY
