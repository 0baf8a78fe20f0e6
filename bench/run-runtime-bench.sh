#!/bin/sh
# run-runtime-bench.sh [runtime_bench options...]
#
# Benchmarks berth-runtime against crun and runc on one busybox bundle (/bin/true; pid, mount,
# ipc, uts, net namespaces) and writes the table into docs/performance.md under
# "## OCI runtime: berth-runtime vs crun vs runc".
#
# Environment:
#   BERTH_RUNTIME  berth-runtime binary (default: <repo>/build/cmd/berth-runtime/berth-runtime)
#   CRUN, RUNC     crun / runc binaries (default: /usr/bin/crun, /usr/sbin/runc)
#   BUILD_DIR      where runtime_bench is built (default: <repo>/build-bench)
#   DOC            document to update (default: <repo>/docs/performance.md); NO_DOC=1: print only
#   HIDE_UNIFIED   1/0: force/forbid --hide-cgroup2-unified (default: on for a hybrid cgroup host)
# Extra arguments go to runtime_bench (e.g. --runs 20 --rounds 10 for a quick try).
# Needs root, busybox-static, runc (for `runc spec`) and python3.
set -eu

driver_cmd="bench/run-runtime-bench.sh${*:+ $*}"
for v in BERTH_RUNTIME CRUN RUNC HIDE_UNIFIED; do
    eval "val=\${$v:-}"
    if [ -n "$val" ]; then driver_cmd="$v=$val $driver_cmd"; fi
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BERTH_RUNTIME=${BERTH_RUNTIME:-$repo/build/cmd/berth-runtime/berth-runtime}
CRUN=${CRUN:-/usr/bin/crun}
RUNC=${RUNC:-/usr/sbin/runc}
BUILD_DIR=${BUILD_DIR:-$repo/build-bench}
DOC=${DOC:-$repo/docs/performance.md}

[ "$(id -u)" = 0 ] || { echo "run-runtime-bench.sh: must run as root" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runtime-bench-bundle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# 1. Build the benchmark program.
if ! { [ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S "$repo" -B "$BUILD_DIR"; } >"$tmp/build.log" 2>&1 ||
   ! cmake --build "$BUILD_DIR" -j2 --target runtime_bench >>"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log" >&2
    echo "run-runtime-bench.sh: cannot build runtime_bench (is Google Benchmark installed?)" >&2
    exit 1
fi
bench=$BUILD_DIR/bench/runtime_bench

# 2. The bundle: busybox rootfs + one config.json for all runtimes.
"$repo/tests/fixtures/make-rootfs.sh" "$tmp/bundle/rootfs" >/dev/null
(cd "$tmp/bundle" && "$RUNC" spec)
# A cgroup name unique to this bench run, absolute so that crun and runc put it in the same
# place (crun reads a relative cgroupsPath from the hierarchy root, runc from its own cgroup).
cgpath=/runtime-bench-$$
python3 - "$tmp/bundle/config.json" "$cgpath" <<'EOF'
import json, sys
path, cgpath = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"]["readonly"] = False
c["linux"]["cgroupsPath"] = cgpath
ns = c["linux"]["namespaces"]
for n in ns:
    n.pop("path", None)          # new namespaces only, no network namespace path
kinds = sorted(n["type"] for n in ns)
assert kinds == ["ipc", "mount", "network", "pid", "uts"], kinds
json.dump(c, open(path, "w"), indent=2)
EOF

# 3. crun 1.8 refuses a hybrid cgroup host whose cgroup2 holds a controller (here: hugetlb).
hybrid=0
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] && \
   [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    hybrid=1
fi
hide=${HIDE_UNIFIED:-$hybrid}
set -- --bundle "$tmp/bundle" \
    --runtime berth="$BERTH_RUNTIME" --runtime crun="$CRUN" --runtime runc="$RUNC" "$@"
[ "$hide" = 1 ] && set -- --hide-cgroup2-unified "$@"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
status=0
"$bench" "$@" > "$tmp/table.md" || status=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cat "$tmp/table.md"

leftover=$(ls -d /sys/fs/cgroup/*"$cgpath" /sys/fs/cgroup/*/*"$cgpath" 2>/dev/null || true)
if [ -n "$leftover" ]; then
    echo "run-runtime-bench.sh: cgroups left behind: $leftover" >&2
fi

[ "${NO_DOC:-0}" = 1 ] && exit $status

# 4. Write the section into the document.
version() { "$1" --version 2>/dev/null | head -n1 || true; }
berth_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
berth_build=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$BERTH_RUNTIME")/../../CMakeCache.txt" 2>/dev/null || true)
berth_desc="\`$BERTH_RUNTIME\` (${berth_build:+$berth_build build, }tree at $berth_rev$(git -C "$repo" diff --quiet HEAD -- src cmd 2>/dev/null || echo ', with uncommitted changes'))"
section=$tmp/section.md
{
    echo "## OCI runtime: berth-runtime vs crun vs runc"
    echo
    echo "> Load average $load_before at start, $load_after at end (2 cores: above 1 means other work"
    echo "> ran beside the bench). Compare the ratios (same run, interleaved) rather than absolute figures."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: nproc $(nproc), kernel $(uname -r) ($(uname -m)), cgroups: $( [ $hybrid = 1 ] && echo "hybrid (v1 controllers; cgroup2 at /sys/fs/cgroup/unified with: $(cat /sys/fs/cgroup/unified/cgroup.controllers))" || stat -fc %T /sys/fs/cgroup)"
    echo "- Runtimes: berth-runtime $berth_desc; $(version "$CRUN") (\`$CRUN\`); $(version "$RUNC") (\`$RUNC\`)"
    echo "- Produced by: \`$driver_cmd\` (as root), which ran the command shown under the table."
    echo
    cat "$tmp/table.md"
    cat <<EOF

### How it is measured

- Bundle: busybox rootfs from \`tests/fixtures/make-rootfs.sh\`; \`config.json\` is \`runc spec\`
  with \`process.terminal=false\`, \`process.args=["/bin/true"]\`, \`root.readonly=false\`,
  \`linux.cgroupsPath="/runtime-bench-<pid>"\`; namespaces pid, mount, ipc, uts, network (new, no
  path); no seccomp profile, no hooks. The **same config.json is used by all three runtimes**.
- \`bench/runtime_bench\` (C++) spawns each runtime with posix_spawn (stdin/stdout/stderr of the
  runtime and the container = /dev/null), times it with CLOCK_MONOTONIC from just before the spawn
  to the return of wait4, and takes \`ru_maxrss\` from wait4's rusage. Each runtime has its own
  \`--root\` state directory in a temporary directory (removed at exit); container ids are unique.
- \`run\`: 100 runs per runtime by default (n in the table), interleaved (berth, crun, runc,
  berth, ...), after 3 warm-up rounds. \`create --pid-file\` / \`start\` / \`delete\`: 50 rounds (each round: create, start,
  delete for berth, then crun, then runc), each step timed on its own; between \`start\` and
  \`delete\` the bench waits (untimed) for the container process to exit, so \`delete\` removes a
  stopped container.
- Peak RSS: \`ru_maxrss\` of the runtime process. The kernel reports the maximum over the process
  and the descendants it reaped itself: for \`run\` that includes the runtime's own in-container
  helper when it reaps it (e.g. \`runc init\`, which is the runc binary); for \`create\` the
  container process is not included.
- No number is faked: a runtime must first pass a probe (a \`run\` of a copy of the bundle whose
  process writes its pid and namespace ids into the rootfs: pid 1, and pid/mnt/net/ipc/uts
  namespaces different from the bench's). Every timed \`create\` is checked (container process
  alive, in new namespaces, rooted in the bundle rootfs), every container must exit 0 after
  \`start\`, \`state\` must fail after \`delete\`, and no cgroup may remain after \`run\` or
  \`delete\`. A failed iteration is excluded and counted in the table; a runtime that is missing or
  fails its probe is reported as "not run" with the reason.

### What was needed for crun and runc on this host

- runc 1.1 runs the bundle as is on this hybrid host.
- crun 1.8.1 does not: every \`run\`/\`create\` fails with \`cgroups in hybrid mode not supported,
  drop all controllers from cgroupv2\`. In crun 1.8 \`libcrun_cgroup_enter\` checks, for a hybrid
  host (tmpfs at /sys/fs/cgroup, cgroup2 at /sys/fs/cgroup/unified), that
  /sys/fs/cgroup/unified/cgroup.controllers is empty, and fails before it looks at the cgroup
  manager or \`cgroupsPath\`; here that file holds \`hugetlb\` (the only controller not bound to a
  v1 hierarchy). \`--cgroup-manager=disabled\` and \`--cgroup-manager=cgroupfs\` fail the same way
  (tried), and so would any \`cgroupsPath\`.
- What works without changing the host: \`runtime_bench --hide-cgroup2-unified\` (passed by the
  driver on a hybrid host) makes the bench enter a private mount namespace (\`unshare(CLONE_NEWNS)\`,
  \`/\` made rslave so nothing propagates back) and lazily unmount /sys/fs/cgroup/unified in it,
  once, before any runtime is started. All runtimes are children of the bench, so **all three**
  see the same pure cgroup v1 layout and use the v1 cgroupfs path; crun then runs the bundle with
  its default cgroupfs manager. The cost is paid once at bench start, outside any timing.
- Asymmetries: none in config.json or command lines (no extra runtime flags). The effect of
  hiding the cgroup2 hierarchy: runc in hybrid mode also creates the container's cgroup in the
  cgroup2 hierarchy; with it hidden it does not. In a quick check when the bench was written
  (2 cores, kernel 6.18, 40 runs, loaded machine)
  runc \`run\` was 20.1 ms median with the hierarchy visible and 17.6 ms hidden, \`create\` 21.4 vs
  16.4 ms -- within the noise of this machine, but it favours runc, if anything.
  Rejected alternative: mounting a v1 \`hugetlb\` hierarchy would empty the cgroup2 controller list
  host-wide, which changes the machine for everyone.
- \`linux.cgroupsPath\` is absolute (\`/runtime-bench-<pid>\`): with no or a relative path crun
  creates the cgroup relative to each hierarchy's root while runc creates it under its own cgroup
  (which differs in the memory hierarchy here), so an absolute path is the only way to have both
  put the container in the same cgroups. Every iteration's cgroup is removed by the runtime; the
  bench checks it and the driver checks again at the end.
EOF
} > "$section"

mkdir -p "$(dirname "$DOC")"
[ -f "$DOC" ] || printf '# Performance\n\n' > "$DOC"
python3 - "$DOC" "$section" <<'EOF'
import sys
doc, section = sys.argv[1], sys.argv[2]
head = "## OCI runtime: berth-runtime vs crun vs runc"
lines = open(doc).read().split("\n")
new = open(section).read().rstrip("\n").split("\n")
try:
    start = lines.index(head)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    out = lines[:start] + new + [""] + lines[end:]
except ValueError:
    while lines and lines[-1] == "":
        lines.pop()
    out = lines + [""] + new + [""]
text = "\n".join(out)
open(doc + ".tmp", "w").write(text if text.endswith("\n") else text + "\n")
import os
os.replace(doc + ".tmp", doc)
EOF
echo "run-runtime-bench.sh: wrote section to $DOC" >&2
exit $status
