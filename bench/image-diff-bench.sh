#!/usr/bin/env bash
# image-diff-bench.sh: `berth image diff --type=file` against what issue 11 names as the way to
# do it without a tool (container-diff is not in Debian: `apt-cache search container-diff` finds
# nothing): `docker save` of both images (Debian's dockerd 20.10, a private one under the temp
# root) + `tar -x` + `diff -r`. A benchmark, not a test (not in CTest).
#
#   bench/image-diff-bench.sh                  (as root; about a minute)
#   N=3 bench/image-diff-bench.sh              (a quick try)
#
# The pair (made here, loaded into both engines from the same docker-save archives, so both have
# the same image IDs; nothing is pulled): "base", the busybox tree of tests/fixtures plus 4000
# files of 1-16 KiB of random bytes in 40 directories (~34 MB, one layer); "changed", base plus
# one layer that rewrites 200 files (100 keep their size), deletes 100 (whiteouts), adds 200 and
# chmods 50.
# Measured (interleaved: each round runs every case once, the first rotating), wall time:
#   berth/store     berth image diff --type=file bench/base:1 bench/changed:1  (berthd's store)
#   berth/archive   the same over the two docker-save archive files
#   fallback/save   docker save base | tar -x; docker save changed | tar -x; each layer.tar
#                   tar -x'ed into its image's tree in order (tar does not apply whiteouts:
#                   deleted files stay as .wh. files, so this fallback is also less right);
#                   diff -r of the two trees
#   fallback/export docker create + docker export | tar -x of each (whiteouts applied by
#                   dockerd), diff -r: the fallback that gets the answer right
# Environment: BERTH_BUILD (default <repo>/build), N (default 7), WARMUP (default 1),
#   DOCKER_CLI (default /usr/local/bin/docker), KEEP_RESULTS (a file for the raw results).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "image-diff-bench.sh: must run as root" >&2; exit 1; }
BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-7}
WARMUP=${WARMUP:-1}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
TIMER=(python3 "$here/lib/engine_timer.py")

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd jq "$DOCKER_CLI" "$BERTH_BUILD/cmd/berthd/berthd" "$BERTH_BUILD/cmd/berth/berth"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "image-diff-bench.sh: missing $c" >&2; exit 1; }
done

T=$(mktemp -d /tmp/berth-image-diff-bench.XXXXXX)
CG_NAME="berth-idbench-docker-$$"
CG_BERTH="berth-idbench-$$"
BRIDGE_BERTH="bid-$$"
NFT_BERTH="berth_idbench_$$"
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID=''
RES=$T/results.tsv
: >"$RES"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_pid "$BERTHD_PID" berthd
  remove_cgroups "$CG_BERTH"
  ip link show "$BRIDGE_BERTH" >/dev/null 2>&1 && ip link del "$BRIDGE_BERTH"
  nft list table ip "$NFT_BERTH" >/dev/null 2>&1 && nft delete table ip "$NFT_BERTH"
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  docker_cleanup "$rc" "image diff bench"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); temp root $T"
# --- the two images, as docker-save archives ----------------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
python3 - "$T/rootfs" "$T" <<'PY'
import hashlib, io, json, os, random, sys, tarfile
rootfs, out = sys.argv[1], sys.argv[2]
random.seed(11)

def add(tar, name, data=None, mode=0o644, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime, ti.linkname = kind, mode, 1700000000, link
    if data is not None:
        ti.size = len(data)
        tar.addfile(ti, io.BytesIO(data))
    else:
        tar.addfile(ti)

def layer(build):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()

files = {}
def base(tar):
    for dirpath, dirnames, filenames in os.walk(rootfs):
        dirnames.sort()
        rel = os.path.relpath(dirpath, rootfs)
        for name in sorted(dirnames) + sorted(filenames):
            path = os.path.normpath(os.path.join(rel, name))
            tar.add(os.path.join(dirpath, name), arcname=path, recursive=False)
    add(tar, "data", kind=tarfile.DIRTYPE, mode=0o755)
    for d in range(40):
        add(tar, f"data/d{d:02}", kind=tarfile.DIRTYPE, mode=0o755)
        for f in range(100):
            name = f"data/d{d:02}/f{f:03}"
            files[name] = os.urandom(random.randint(1024, 16384))
            add(tar, name, files[name])

names = None
def change(tar):
    global names
    names = sorted(files)
    random.shuffle(names)
    rewrite, delete, chmod = names[:200], names[200:300], names[300:350]
    for i, name in enumerate(sorted(rewrite)):
        size = len(files[name]) if i % 2 == 0 else len(files[name]) + 100
        add(tar, name, os.urandom(size))
    for name in sorted(delete):
        d, base_name = name.rsplit("/", 1)
        add(tar, f"{d}/.wh.{base_name}", b"")
    for name in sorted(chmod):
        add(tar, name, files[name], mode=0o600)
    add(tar, "data/new", kind=tarfile.DIRTYPE, mode=0o755)
    for f in range(200):
        add(tar, f"data/new/n{f:03}", os.urandom(random.randint(1024, 16384)))

layers = [layer(base), layer(change)]
def save(path, tag, stack):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in stack]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"bench layer {i}"} for i in range(len(stack))],
    }, sort_keys=True).encode()
    cid = hashlib.sha256(config).hexdigest()
    with tarfile.open(path, "w") as tar:
        paths = []
        for i, l in enumerate(stack):
            d = hashlib.sha256((diff_ids[i] + str(i)).encode()).hexdigest()
            add(tar, d, kind=tarfile.DIRTYPE, mode=0o755)
            add(tar, f"{d}/layer.tar", l)
            paths.append(f"{d}/layer.tar")
        add(tar, f"{cid}.json", config)
        add(tar, "manifest.json", json.dumps([{"Config": f"{cid}.json", "RepoTags": [tag], "Layers": paths}]).encode())
save(os.path.join(out, "base.tar"), "bench/base:1", layers[:1])
save(os.path.join(out, "changed.tar"), "bench/changed:1", layers)
PY
echo "# base.tar $(du -m "$T/base.tar" | cut -f1) MB, changed.tar $(du -m "$T/changed.tar" | cut -f1) MB"

# --- the daemons, the images loaded into both ----------------------------------------------------
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
for img in base changed; do
  $B load -q -i "$T/$img.tar" >/dev/null
  $D load -q -i "$T/$img.tar" >/dev/null
done
[[ $($B image inspect -f '{{.Id}}' bench/changed:1) == $($D image inspect -f '{{.Id}}' bench/changed:1) ]] ||
  { echo "the engines loaded different images" >&2; exit 1; }

# --- the fallbacks, as scripts (diff -r exits 1 when the trees differ: that is its answer) -----------
W=$T/work
cat >"$T/fallback-save.sh" <<EOF
set -e
mkdir -p $W/save-a $W/save-b $W/root-a $W/root-b
$D save bench/base:1 | tar -x -C $W/save-a
$D save bench/changed:1 | tar -x -C $W/save-b
for side in a b; do
  for l in \$(jq -r '.[0].Layers[]' $W/save-\$side/manifest.json); do tar -x -f $W/save-\$side/\$l -C $W/root-\$side; done
done
diff -r $W/root-a $W/root-b >$W/diff.txt || [ \$? -eq 1 ]
EOF
cat >"$T/fallback-export.sh" <<EOF
set -e
mkdir -p $W/root-a $W/root-b
ca=\$($D create bench/base:1 sh)
cb=\$($D create bench/changed:1 sh)
$D export \$ca | tar -x -C $W/root-a
$D export \$cb | tar -x -C $W/root-b
$D rm \$ca \$cb >/dev/null
diff -r $W/root-a $W/root-b >$W/diff.txt || [ \$? -eq 1 ]
EOF

# What each answers (untimed, once): berth's JSON against diff -r's lines.
$B image diff --type=file --json bench/base:1 bench/changed:1 >"$T/berth.json"
bash "$T/fallback-export.sh"
echo "# berth: $(jq '.file.added | length' "$T/berth.json") added, $(jq '.file.removed | length' "$T/berth.json") removed," \
  "$(jq '.file.changed | length' "$T/berth.json") changed (50 of them mode only);" \
  "diff -r after export: $(grep -c '^Only in' "$W/diff.txt") only-in lines, $(grep -Ec '^(Binary f|F)iles .* differ$' "$W/diff.txt") differing files (modes unseen)"
rm -rf "$W"

cat >"$T/diff.spec" <<SPEC
case image-diff/berth-store
step $B image diff --type=file bench/base:1 bench/changed:1
case image-diff/berth-archive
step $B image diff --type=file $T/base.tar $T/changed.tar
case image-diff/fallback-save
step bash $T/fallback-save.sh
post rm -rf $W
case image-diff/fallback-export
step bash $T/fallback-export.sh
post rm -rf $W
SPEC
echo "## image diff --type=file (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/diff.spec" "$N" "$WARMUP" "$RES"

echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), Docker CLI $("$D" version -f '{{.Client.Version}}' 2>/dev/null)."
python3 - "$RES" <<'PY'
import statistics, sys
vals = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition("\t")
    vals.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in vals.items()}
save = med.get("image-diff/fallback-save")
print("| `--type=file`, base (4000 files, 34 MB) vs changed (+1 layer) | median ms | n | fallback (docker save) / this |")
print("|---|---:|---:|---:|")
rows = [("image-diff/berth-store", "`berth image diff`, both images in berthd's store"),
        ("image-diff/berth-archive", "`berth image diff`, both as docker-save archive files"),
        ("image-diff/fallback-save", "`docker save` x2 + `tar -x` (archives, then layers) + `diff -r`"),
        ("image-diff/fallback-export", "`docker create` + `docker export` + `tar -x`, x2, + `diff -r`")]
for key, title in rows:
    if key in med:
        ratio = f"**{save / med[key]:.1f}x**" if save else "-"
        print(f"| {title} | {med[key]:.0f} | {len(vals[key])} | {ratio} |")
PY
