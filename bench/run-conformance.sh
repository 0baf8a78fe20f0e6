#!/bin/bash
# run-conformance.sh -- OCI runtime conformance, side by side: every validation
# program of opencontainers/runtime-tools against berth-runtime AND crun in the
# same run; prints a table (program, berth, crun, totals) and writes it into
# docs/runtime.md under "### Measured: berth-runtime vs crun".
#
# A tool, not a test: the programs are third-party code that is not in this
# repository, Debian packages only runtime-tools' library (generate, validate,
# specerror, cgroups; no validation/, no cmd/runtimetest, no tap-go), and CI has
# no network. What each program checks and berth-runtime once got wrong has its
# own regression test in tests/integration/runtime/, which CI runs.
#
# Environment:
#   RUNTIME_TOOLS_SRC  required; either
#                        - a runtime-tools checkout with validation/, cmd/runtimetest,
#                          go.mod and vendor/ (built with -mod=vendor), or
#                        - a GOPATH holding src/github.com/opencontainers/runtime-tools/
#                          {validation,cmd/runtimetest} and whatever Debian's
#                          /usr/share/gocode lacks (github.com/mndrix/tap-go); built in
#                          GOPATH mode over /usr/share/gocode (Debian's Go 1.19: use a
#                          2021-2022 tree, newer programs need Go 1.20+)
#   BERTH_RUNTIME      berth-runtime binary (default <repo>/build/cmd/berth-runtime/berth-runtime)
#   CRUN               crun binary (default /usr/bin/crun)
#   BUILD_DIR          programs, their work directory and the TAP output
#                      (default <repo>/build-conformance; results/<runtime>/<program>.tap)
#   PROGRAMS           only these programs (space-separated names), for a quick try
#   PROGRAM_TIMEOUT    seconds per program and runtime (default 300)
#   DOC                document to update (default <repo>/docs/runtime.md); NO_DOC=1: print only
#
# Each program runs as `RUNTIME=<runtime> <program>` from a directory holding
# the busybox rootfs-<arch>.tar.gz and the runtimetest it copies into its
# bundles, inside a private mount namespace in which a hybrid host's
# /sys/fs/cgroup/unified is hidden: crun 1.8 refuses a hybrid host whose cgroup2
# holds a controller, and both runtimes get the same view so that the comparison
# is fair. A program passes when it exits 0 and its TAP output has no failed
# test ("not ok" other than a TODO) and no "Bail out!".
#
# Needs root, golang-go, crun, util-linux (unshare), python3.
# Exit status: 0 berth-runtime passes more programs than crun; 1 it does not, or
# the set-up or a build failed.
set -u

driver_cmd="bench/run-conformance.sh"
for v in RUNTIME_TOOLS_SRC PROGRAMS BERTH_RUNTIME CRUN; do
    if [ -n "${!v:-}" ]; then driver_cmd="$v=${!v} $driver_cmd"; fi
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
fixtures=$repo/tests/fixtures
BERTH_RUNTIME=${BERTH_RUNTIME:-$repo/build/cmd/berth-runtime/berth-runtime}
CRUN=${CRUN:-/usr/bin/crun}
SRC=${RUNTIME_TOOLS_SRC:-}
BUILD_DIR=${BUILD_DIR:-$repo/build-conformance}
PROGRAM_TIMEOUT=${PROGRAM_TIMEOUT:-300}
DOC=${DOC:-$repo/docs/runtime.md}
IMPORT=github.com/opencontainers/runtime-tools

say() { echo "run-conformance.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
for tool in go unshare timeout tar python3; do
    command -v "$tool" >/dev/null || { say "$tool not found (scripts/setup.sh installs golang-go, util-linux, coreutils, python3)"; exit 1; }
done
[ -x "$BERTH_RUNTIME" ] || { say "berth-runtime not found at $BERTH_RUNTIME"; exit 1; }
[ -x "$CRUN" ] || { say "crun not found at $CRUN"; exit 1; }
[ -n "$SRC" ] || { say "set RUNTIME_TOOLS_SRC to a runtime-tools tree or GOPATH (see the header)"; exit 1; }
SRC=$(cd "$SRC" 2>/dev/null && pwd) || { say "RUNTIME_TOOLS_SRC: no such directory"; exit 1; }

# Where the tree is and how it is built.
if [ -d "$SRC/src/$IMPORT/validation" ]; then
    tree=$SRC/src/$IMPORT
    build() { (cd "$tree" && GO111MODULE=off GOPATH="$SRC:/usr/share/gocode" go build -o "$1" "./$2"); }
elif [ -d "$SRC/validation" ] && [ -f "$SRC/go.mod" ] && [ -d "$SRC/vendor" ]; then
    tree=$SRC
    build() { (cd "$tree" && GO111MODULE=on GOFLAGS=-mod=vendor GOPROXY=off go build -o "$1" "./$2"); }
else
    say "$SRC holds neither src/$IMPORT/validation (a GOPATH) nor validation/ with go.mod and vendor/"
    exit 1
fi
[ -d "$tree/cmd/runtimetest" ] || { say "no cmd/runtimetest in $tree"; exit 1; }

arch=$(go env GOARCH)
mkdir -p "$BUILD_DIR/bin" "$BUILD_DIR/work"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

# 1. Build the programs and runtimetest, again whenever a source file changed.
programs=()
for d in "$tree"/validation/*/; do
    name=$(basename "$d")
    [ "$name" = util ] && continue
    grep -qs '^package main' "$d"*.go || continue
    if [ -n "${PROGRAMS:-}" ] && ! [[ " $PROGRAMS " == *" $name "* ]]; then continue; fi
    programs+=("$name")
done
[ ${#programs[@]} -gt 0 ] || { say "no validation programs found under $tree/validation"; exit 1; }

stale=$(find -L "$SRC" -name '*.go' -newer "$BUILD_DIR/.built" 2>/dev/null | head -n1)
missing=0
for p in "${programs[@]}"; do [ -x "$BUILD_DIR/bin/$p" ] || missing=1; done
if [ ! -f "$BUILD_DIR/.built" ] || [ -n "$stale" ] || [ $missing = 1 ] || [ ! -x "$BUILD_DIR/runtimetest" ]; then
    say "building ${#programs[@]} validation programs and runtimetest in $BUILD_DIR"
    export GOCACHE=$BUILD_DIR/gocache GOFLAGS= CGO_ENABLED=0
    rm -f "$BUILD_DIR/.built"
    build "$BUILD_DIR/runtimetest" cmd/runtimetest || { say "building runtimetest failed"; exit 1; }
    failed=0
    for p in "${programs[@]}"; do
        build "$BUILD_DIR/bin/$p" "validation/$p" || { say "building $p failed"; failed=1; }
    done
    [ $failed = 0 ] || exit 1
    touch "$BUILD_DIR/.built"
fi

# 2. What the programs expect in their working directory: the busybox rootfs
# tarball and runtimetest (each program copies it into its bundles).
work=$BUILD_DIR/work
if [ ! -s "$work/rootfs-$arch.tar.gz" ]; then
    rm -rf "$work/rootfs"
    "$fixtures/make-rootfs.sh" "$work/rootfs" >/dev/null || { say "make-rootfs.sh failed"; exit 1; }
    tar -C "$work/rootfs" -czf "$work/rootfs-$arch.tar.gz" . && rm -rf "$work/rootfs"
fi
cp "$BUILD_DIR/runtimetest" "$work/runtimetest"

hybrid=0
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] &&
   [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    hybrid=1
fi

# 3. Every program against both runtimes, one after the other.
results=$BUILD_DIR/results
rm -rf "$results"
mkdir -p "$results/berth" "$results/crun"
run_one() {  # runtime-label runtime-binary program
    local out=$results/$1/$3.tap rc
    (cd "$work" && unshare -m --propagation slave sh -c '
        [ "$1" = 1 ] && umount -l /sys/fs/cgroup/unified
        exec env RUNTIME="$2" timeout -k 10 "$3" "$4"' sh "$hybrid" "$2" "$PROGRAM_TIMEOUT" "$BUILD_DIR/bin/$3") \
        >"$out" 2>&1 </dev/null
    rc=$?
    echo "# exit status $rc" >>"$out"
    [ $rc = 0 ] && ! grep -E '^(not ok|Bail out!)' "$out" | grep -qvi '^not ok[^#]*# *TODO'
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
berth_pass=0 crun_pass=0 berth_only=() crun_only=() rows=()
for p in "${programs[@]}"; do
    b=fail c=fail
    run_one berth "$BERTH_RUNTIME" "$p" && b=pass && berth_pass=$((berth_pass + 1))
    run_one crun "$CRUN" "$p" && c=pass && crun_pass=$((crun_pass + 1))
    [ $b = pass ] && [ $c = fail ] && berth_only+=("$p")
    [ $b = fail ] && [ $c = pass ] && crun_only+=("$p")
    rows+=("| \`$p\` | $b | $c |")
    printf '%-40s %-6s %-6s\n' "$p" "$b" "$c" >&2
done
n=${#programs[@]}

table=$BUILD_DIR/table.md
{
    echo "| program | berth-runtime | crun |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo "| **total** | **$berth_pass / $n** | **$crun_pass / $n** |"
} > "$table"
cat "$table"
echo
echo "berth-runtime passes $berth_pass of $n; crun $crun_pass of $n (same run; cgroup2 hidden: $([ $hybrid = 1 ] && echo yes || echo no))"
[ ${#berth_only[@]} -gt 0 ] && echo "only berth-runtime passes: ${berth_only[*]}"
[ ${#crun_only[@]} -gt 0 ] && echo "only crun passes: ${crun_only[*]}"
echo "TAP output: $results/{berth,crun}/<program>.tap"

status=0
if [ "$berth_pass" -le "$crun_pass" ]; then
    say "berth-runtime does not pass more programs than crun ($berth_pass <= $crun_pass)"
    status=1
fi
[ "${NO_DOC:-0}" = 1 ] && exit $status
if [ -n "${PROGRAMS:-}" ]; then say "PROGRAMS set: not writing $DOC"; exit $status; fi

# 4. The measured table into the document, replacing the previous one.
berth_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo" diff --quiet HEAD -- src cmd 2>/dev/null || echo ', with uncommitted changes')
section=$BUILD_DIR/section.md
{
    echo "### Measured: berth-runtime vs crun"
    echo
    echo "- Date: $started; kernel $(uname -r), nproc $(nproc), cgroups $([ $hybrid = 1 ] && echo "hybrid (cgroup2 at /sys/fs/cgroup/unified hidden for both runtimes)" || stat -fc %T /sys/fs/cgroup)."
    echo "- Runtimes: berth-runtime (tree at $berth_rev$dirty); $("$CRUN" --version 2>/dev/null | head -n1) (\`$CRUN\`)."
    echo "- Programs: $n, built from \`RUNTIME_TOOLS_SRC\` with $(go version | cut -d' ' -f3)."
    echo "- Command: \`$driver_cmd\` (as root)."
    echo "- Result: **berth-runtime $berth_pass / $n, crun $crun_pass / $n**$([ ${#berth_only[@]} -gt 0 ] && echo "; only berth-runtime: $(printf '`%s` ' "${berth_only[@]}" | sed 's/ $//')")$([ ${#crun_only[@]} -gt 0 ] && echo "; only crun: $(printf '`%s` ' "${crun_only[@]}" | sed 's/ $//')")."
    echo
    cat "$table"
} > "$section"
[ -f "$DOC" ] || { say "$DOC not found"; exit 1; }
python3 - "$DOC" "$section" <<'EOF'
import os, sys
doc, section = sys.argv[1], sys.argv[2]
head = "### Measured: berth-runtime vs crun"
lines = open(doc).read().split("\n")
new = open(section).read().rstrip("\n").split("\n")
if head in lines:
    start = lines.index(head)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("## ", "### "))), len(lines))
    out = lines[:start] + new + [""] + lines[end:]
else:
    while lines and lines[-1] == "":
        lines.pop()
    out = lines + [""] + new + [""]
text = "\n".join(out)
open(doc + ".tmp", "w").write(text if text.endswith("\n") else text + "\n")
os.replace(doc + ".tmp", doc)
EOF
say "wrote the table to $DOC"
exit $status
