#!/bin/bash
# runtime-tools.sh -- OCI runtime conformance: runs every validation program of
# opencontainers/runtime-tools against berth-runtime AND crun in the same run,
# prints a side-by-side table and fails unless berth-runtime passes strictly
# more programs than crun.
#
# Environment:
#   BERTH_RUNTIME      berth-runtime binary (CTest sets it)
#   CRUN               crun binary (default /usr/bin/crun)
#   RUNTIME_TOOLS_SRC  a runtime-tools source tree with validation/ and cmd/runtimetest
#                      (default: ../shared/runtime-tools when it has them, else Debian's
#                      /usr/share/gocode/src/github.com/opencontainers/runtime-tools)
#   BUILD_DIR          where the programs are built and cached and results kept
#                      (default: <repo>/build/runtime-tools); results/<runtime>/<program>.tap
#   PROGRAMS           only these programs (space-separated names), for a quick try
#   PROGRAM_TIMEOUT    seconds per program and runtime (default 300)
#
# The programs are built offline: with the tree's own vendor/ when it has one,
# else in GOPATH mode against Debian's Go sources (/usr/share/gocode).
# Each program runs as `RUNTIME=<runtime> <program>` from a directory holding
# the busybox rootfs-<arch>.tar.gz and runtimetest they expect, inside a private
# mount namespace in which a hybrid host's /sys/fs/cgroup/unified is hidden:
# crun 1.8 refuses a hybrid host whose cgroup2 holds a controller, and both
# runtimes get the same view so that the comparison is fair.
#
# Exit status: 0 berth passes more programs than crun; 1 it does not (or a
# build failed); 77 the validation programs' sources are not on this machine.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=${BERTH_SHARED:-$(cd "$repo/../shared" 2>/dev/null && pwd || echo /work/shared)}
BERTH_RUNTIME=${BERTH_RUNTIME:-$repo/build/cmd/berth-runtime/berth-runtime}
CRUN=${CRUN:-/usr/bin/crun}
SRC=${RUNTIME_TOOLS_SRC:-}
if [ -z "$SRC" ]; then
    SRC=/usr/share/gocode/src/github.com/opencontainers/runtime-tools
    [ -d "$shared/runtime-tools/validation" ] && SRC=$shared/runtime-tools
fi
BUILD_DIR=${BUILD_DIR:-$repo/build/runtime-tools}
PROGRAM_TIMEOUT=${PROGRAM_TIMEOUT:-300}
IMPORT=github.com/opencontainers/runtime-tools

say() { echo "runtime-tools.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
for tool in go unshare timeout tar; do
    command -v "$tool" >/dev/null || { say "$tool not found (scripts/setup.sh installs golang-go, util-linux, coreutils)"; exit 1; }
done
[ -x "$BERTH_RUNTIME" ] || { say "berth-runtime not found at $BERTH_RUNTIME"; exit 1; }
[ -x "$CRUN" ] || { say "crun not found at $CRUN"; exit 1; }
if [ ! -d "$SRC/validation" ] || [ ! -d "$SRC/cmd/runtimetest" ]; then
    say "no runtime-tools validation programs in $SRC"
    say "Debian's golang-github-opencontainers-runtime-tools-dev ships only the library packages"
    say "(generate, validate, specerror), not validation/ nor cmd/runtimetest, and Debian has no"
    say "tap-go; point RUNTIME_TOOLS_SRC at a runtime-tools checkout (with its vendor/), or put one"
    say "at $shared/runtime-tools, to run them"
    exit 77
fi

arch=$(go env GOARCH)
mkdir -p "$BUILD_DIR/bin" "$BUILD_DIR/work"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

# 1. Build the programs and runtimetest, once per source tree state.
programs=()
for d in "$SRC"/validation/*/; do
    name=$(basename "$d")
    [ "$name" = util ] && continue
    grep -qs '^package main' "$d"*.go || continue
    if [ -n "${PROGRAMS:-}" ] && ! [[ " $PROGRAMS " == *" $name "* ]]; then continue; fi
    programs+=("$name")
done
[ ${#programs[@]} -gt 0 ] || { say "no validation programs found under $SRC/validation"; exit 1; }

stamp=$(cd "$SRC" && find . -name '*.go' -newer "$BUILD_DIR/.built" 2>/dev/null | head -n1)
if [ ! -f "$BUILD_DIR/.built" ] || [ -n "$stamp" ] || [ ! -x "$BUILD_DIR/runtimetest" ]; then
    say "building ${#programs[@]} validation programs and runtimetest in $BUILD_DIR/bin"
    export GOCACHE=$BUILD_DIR/gocache GOFLAGS= CGO_ENABLED=0
    if [ -d "$SRC/vendor" ] && [ -f "$SRC/go.mod" ]; then
        build() { (cd "$SRC" && GO111MODULE=on GOFLAGS=-mod=vendor GOPROXY=off go build -o "$1" "./$2"); }
    else
        # GOPATH mode: the tree under its import path, Debian's sources for the rest.
        mkdir -p "$BUILD_DIR/gopath/src/$(dirname "$IMPORT")"
        ln -sfn "$SRC" "$BUILD_DIR/gopath/src/$IMPORT"
        build() { (cd "$BUILD_DIR/gopath/src/$IMPORT" && GO111MODULE=off GOPATH="$BUILD_DIR/gopath:/usr/share/gocode" \
                   go build -o "$1" "./$2"); }
    fi
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
    "$shared/fixtures/make-rootfs.sh" "$work/rootfs" >/dev/null || { say "make-rootfs.sh failed"; exit 1; }
    tar -C "$work/rootfs" -czf "$work/rootfs-$arch.tar.gz" . && rm -rf "$work/rootfs"
fi
cp "$BUILD_DIR/runtimetest" "$work/runtimetest"

hide_unified=0
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] &&
   [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    hide_unified=1
fi

# 3. Every program against both runtimes. A program passes when it exits 0
# and its TAP output has no "not ok" and no "Bail out!".
results=$BUILD_DIR/results
rm -rf "$results"
mkdir -p "$results/berth" "$results/crun"
run_one() {  # runtime-label runtime-binary program
    local out=$results/$1/$3.tap rc
    (cd "$work" && unshare -m --propagation slave sh -c '
        [ "$1" = 1 ] && umount -l /sys/fs/cgroup/unified
        exec env RUNTIME="$2" timeout -k 10 "$3" "$4"' sh "$hide_unified" "$2" "$PROGRAM_TIMEOUT" "$BUILD_DIR/bin/$3") \
        >"$out" 2>&1 </dev/null
    rc=$?
    echo "# exit status $rc" >>"$out"
    [ $rc = 0 ] && ! grep -qE '^(not ok|Bail out!)' "$out"
}

berth_pass=0 crun_pass=0 berth_only=() crun_only=() table=()
for p in "${programs[@]}"; do
    b=fail c=fail
    run_one berth "$BERTH_RUNTIME" "$p" && b=pass && berth_pass=$((berth_pass + 1))
    run_one crun "$CRUN" "$p" && c=pass && crun_pass=$((crun_pass + 1))
    [ $b = pass ] && [ $c = fail ] && berth_only+=("$p")
    [ $b = fail ] && [ $c = pass ] && crun_only+=("$p")
    table+=("$(printf '%-40s %-6s %-6s' "$p" "$b" "$c")")
done

printf '%-40s %-6s %-6s\n' program berth crun
printf '%s\n' "${table[@]}"
echo
echo "berth-runtime passes $berth_pass of ${#programs[@]}; crun $crun_pass of ${#programs[@]} (same run, cgroup2 hidden: $([ $hide_unified = 1 ] && echo yes || echo no))"
[ ${#berth_only[@]} -gt 0 ] && echo "only berth-runtime passes: ${berth_only[*]}"
[ ${#crun_only[@]} -gt 0 ] && echo "only crun passes: ${crun_only[*]}"
echo "TAP output: $results/{berth,crun}/<program>.tap"
if [ "$berth_pass" -le "$crun_pass" ]; then
    say "berth-runtime must pass more programs than crun ($berth_pass <= $crun_pass)"
    exit 1
fi
