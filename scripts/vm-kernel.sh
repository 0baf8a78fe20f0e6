#!/usr/bin/env bash
# vm-kernel.sh OUTDIR [FRAGMENT]: the berth microVM's own guest kernel (issue
# 15, docs/vm.md "Which kernel, and why"), built from Debian's kernel source
# (linux-source-6.1, /usr/src/linux-source-6.1.tar.xz) with the minimal config
# the project carries (vm/guest-kernel.config, a fragment over allnoconfig):
# everything the agent and the containers need built in, no modules. Writes:
#
#   OUTDIR/vmlinux   the kernel as a stripped ELF (QEMU boots it through PVH)
#   OUTDIR/config    its .config (scripts/vm-guest-image.sh checks it)
#   OUTDIR/release   its release (uname -r in the guest)
#
# and keeps the unpacked source (OUTDIR/src) and the objects (OUTDIR/obj) for
# the next, incremental build. Compiles with ccache when it is there
# (CCACHE_DIR as set, else /var/cache/berth/ccache, the project's), with the
# build's timestamp, user and host fixed and paths relative to OUTDIR, so a
# rebuild in another build tree hits the cache.
# JOBS (default: the CPU count) and NICE (default 10) tune the make.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
die() { echo "vm-kernel: $*" >&2; exit 1; }
[[ $# -ge 1 && $# -le 2 ]] || die "usage: $0 OUTDIR [FRAGMENT]"
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
FRAGMENT=$(cd "$(dirname "${2:-$REPO/vm/guest-kernel.config}")" && pwd)/$(basename "${2:-$REPO/vm/guest-kernel.config}")
TARBALL=${BERTH_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
[[ -r "$TARBALL" ]] || die "no kernel source $TARBALL: apt-get install linux-source-6.1 (scripts/setup.sh does)"
[[ -r "$FRAGMENT" ]] || die "no config fragment $FRAGMENT"
for c in make gcc flex bison bc objcopy xz; do
  command -v "$c" >/dev/null || die "$c not found (apt-get install build-essential flex bison bc xz-utils)"
done

# Unpack once per tarball (its size and mtime are the stamp).
stamp="$(stat -c '%s %Y' "$TARBALL") $TARBALL"
SRC=$OUT/src
if [[ "$(cat "$OUT/src.stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$SRC" "$OUT/obj" "$OUT/src.stamp"
  mkdir -p "$SRC"
  tar -xf "$TARBALL" -C "$SRC" --strip-components=1
  echo "$stamp" > "$OUT/src.stamp"
fi
[[ -f "$SRC/Makefile" ]] || die "$TARBALL did not unpack to a kernel tree"

CC_CMD=gcc
if command -v ccache >/dev/null; then
  CC_CMD="ccache gcc"
  export CCACHE_DIR=${CCACHE_DIR:-/var/cache/berth/ccache}
  # Paths under OUTDIR hashed as relative ones: a build tree elsewhere (a
  # fresh clone, CI's) hits what this one cached.
  export CCACHE_BASEDIR=$OUT CCACHE_NOHASHDIR=1
  mkdir -p "$CCACHE_DIR"
fi
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026" KBUILD_BUILD_USER=berth KBUILD_BUILD_HOST=berth KBUILD_BUILD_VERSION=1
MAKE=(nice -n "${NICE:-10}" make -C "$SRC" O="$OUT/obj" ARCH=x86_64 CC="$CC_CMD" HOSTCC="$CC_CMD" -j"${JOBS:-$(nproc)}")
mkdir -p "$OUT/obj"

# The config: allnoconfig with the fragment on top, redone when the fragment
# changes. Every option the fragment sets must come out as it says: Kconfig
# silently drops one whose dependencies are off.
if ! cmp -s "$FRAGMENT" "$OUT/obj/fragment.used" || [[ ! -f "$OUT/obj/.config" ]]; then
  "${MAKE[@]}" -s allnoconfig KCONFIG_ALLCONFIG="$FRAGMENT" >/dev/null
  cp "$FRAGMENT" "$OUT/obj/fragment.used"
fi
missing=()
while IFS= read -r line; do
  [[ "$line" =~ ^CONFIG_[A-Z0-9_]+= ]] || continue
  grep -qxF "$line" "$OUT/obj/.config" || missing+=("$line")
done < "$FRAGMENT"
if ((${#missing[@]})); then
  rm -f "$OUT/obj/fragment.used"
  die "the kernel config lost ${missing[*]} (a dependency is off: add it to $FRAGMENT)"
fi

"${MAKE[@]}" vmlinux
release=$("${MAKE[@]}" -s kernelrelease)
# Strip the symbols: QEMU keeps the image it loads in its own memory (and the
# guest's), so every MiB of the file is host memory of each VM.
objcopy --strip-all "$OUT/obj/vmlinux" "$OUT/vmlinux.tmp"
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
cp "$OUT/obj/.config" "$OUT/config"
echo "$release" > "$OUT/release"
echo "vm-kernel: $OUT/vmlinux ($(( $(stat -c %s "$OUT/vmlinux") / 1024 )) KiB, $release)"
