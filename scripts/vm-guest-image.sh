#!/usr/bin/env bash
# vm-guest-image.sh OUTDIR [AGENT] [KERNEL]: the guest side of a berth microVM
# (issue 15, docs/vm.md). Writes into OUTDIR:
#
#   initramfs.cpio   newc archive, root-owned: /init (berth-vm-agent, static,
#                    stripped) and, for a kernel with its virtio drivers as
#                    modules, /lib/modules/<release>/... (with their
#                    dependencies) and /etc/berth-vm/modules (their load order)
#   kernel           the guest kernel as an uncompressed ELF (the project's own
#                    build, or extracted from the Debian vmlinuz; QEMU boots it
#                    through the PVH entry), or a symlink to the vmlinuz when it
#                    cannot be extracted
#   cmdline          the kernel command line the host passes (-append); under
#                    TCG the host adds "tsc_early_khz=<its TSC kHz> tsc=reliable
#                    no_timer_check"
#   release          the kernel release (uname -r in the guest)
#
# AGENT defaults to build/cmd/berth-vm-agent/berth-vm-agent. KERNEL defaults to
# the project's own minimal kernel when it is built (scripts/vm-kernel.sh:
# $BERTH_VM_KERNEL_DIR/vmlinux, else build/kernel/vmlinux; everything built
# in), else the newest /boot/vmlinuz-*-cloud-amd64 (Debian's
# linux-image-cloud-amd64: boots in about half the time of the generic kernel
# under TCG, see docs/vm.md), else the newest /boot/vmlinuz-*. A KERNEL with
# `config` and `release` files beside it is a vm-kernel.sh build; any other is
# a Debian vmlinuz with /boot/config-* and /lib/modules/*. Needs cpio and
# modinfo (kmod); no root.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

die() { echo "vm-guest-image: $*" >&2; exit 1; }
[[ $# -ge 1 && $# -le 3 ]] || die "usage: $0 OUTDIR [AGENT] [KERNEL]"
OUT=$1
AGENT=${2:-$REPO/build/cmd/berth-vm-agent/berth-vm-agent}
KERNEL=${3:-}

[[ -x "$AGENT" ]] || die "agent $AGENT is not an executable (ninja -C build berth-vm-agent)"
if ldd "$AGENT" >/dev/null 2>&1; then die "agent $AGENT is not statically linked"; fi
for c in cpio modinfo od; do command -v "$c" >/dev/null || die "$c not found (apt-get install cpio kmod)"; done
if [[ -z "$KERNEL" ]]; then
  for own in ${BERTH_VM_KERNEL_DIR:+"$BERTH_VM_KERNEL_DIR/vmlinux"} "$REPO/build/kernel/vmlinux"; do
    [[ -r "$own" ]] && { KERNEL=$own; break; }
  done
fi
if [[ -z "$KERNEL" ]]; then
  KERNEL=$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n "$KERNEL" ]] || KERNEL=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1 || true)
fi
[[ -n "$KERNEL" && -r "$KERNEL" ]] ||
  die "no guest kernel: apt-get install linux-image-cloud-amd64 (scripts/setup.sh does), or pass KERNEL"
KDIR=$(cd "$(dirname "$KERNEL")" && pwd)
if [[ -r "$KDIR/config" && -r "$KDIR/release" ]]; then
  OWN_KERNEL=1  # scripts/vm-kernel.sh's: an ELF, everything built in
  KVER=$(cat "$KDIR/release")
  KCONFIG=$KDIR/config
  MODDIR=
else
  OWN_KERNEL=
  KVER=${KERNEL##*/vmlinuz-}
  KCONFIG=/boot/config-$KVER
  MODDIR=/lib/modules/$KVER
fi
[[ -r "$KCONFIG" ]] || die "kernel config $KCONFIG not found next to $KERNEL"

# What the guest needs, built in or as a module: virtio over MMIO (QEMU's
# microvm), the agent's port, the rootfs and volume shares, the NIC; and for
# the containers: namespaces, cgroup v2 controllers, seccomp, BPF devices.
# A kernel without modules must have the drivers built in: the agent loads none.
drivers=(VIRTIO_MMIO VIRTIO_CONSOLE VIRTIO_FS VIRTIO_NET)
if [[ -n "$OWN_KERNEL" ]]; then
  grep -qx "CONFIG_MODULES=y" "$KCONFIG" && die "$KERNEL has module support: vm-kernel.sh builds everything in"
  need_y=("${drivers[@]}" FUSE_FS PVH INET IPV6 POSIX_MQUEUE SYSVIPC CPUSETS
          # free page reporting (the host's balloon device: docs/vm.md "Host memory per VM")
          VIRTIO_BALLOON PAGE_REPORTING
          # the syscalls an EXPERT config would drop unless the fragment keeps them
          MULTIUSER FUTEX EPOLL SIGNALFD TIMERFD EVENTFD SHMEM AIO POSIX_TIMERS MEMBARRIER RSEQ FHANDLE)
else
  for opt in "${drivers[@]}"; do
    grep -Eqx "CONFIG_$opt=[ym]" "$KCONFIG" || die "$KERNEL lacks CONFIG_$opt (see $KCONFIG)"
  done
  need_y=()
fi
for opt in "${need_y[@]}" DEVTMPFS TMPFS BLK_DEV_INITRD SERIAL_8250_CONSOLE BINFMT_ELF BINFMT_SCRIPT UNIX PROC_FS SYSFS \
           NAMESPACES PID_NS NET_NS IPC_NS UTS_NS USER_NS CGROUPS MEMCG CGROUP_PIDS CGROUP_SCHED \
           CFS_BANDWIDTH CGROUP_FREEZER BPF_SYSCALL CGROUP_BPF SECCOMP SECCOMP_FILTER UNIX98_PTYS ACPI; do
  grep -qx "CONFIG_$opt=y" "$KCONFIG" || die "$KERNEL lacks CONFIG_$opt=y (see $KCONFIG)"
done

# Modules in load order: each one's dependencies first (modinfo's depends).
declare -A seen=()
order=()
add_module() {
  local m=$1 dep
  [[ -n "${seen[$m]:-}" ]] && return
  seen[$m]=1
  local deps
  deps=$(modinfo -k "$KVER" -F depends "$m" 2>/dev/null) || die "module $m not found for $KVER (is $MODDIR there?)"
  for dep in ${deps//,/ }; do add_module "$dep"; done
  order+=("$m")
}
wanted=(virtio_mmio virtio_console virtiofs virtio_net)
# Optional: 9p where the kernel has it. (No vsock: the agent serves the
# virtio-serial port only, and each module costs boot time under TCG.)
for m in 9pnet_virtio 9p; do
  modinfo -k "$KVER" -n "$m" >/dev/null 2>&1 && wanted+=("$m")
done
[[ -n "$OWN_KERNEL" ]] && wanted=()
for m in "${wanted[@]}"; do
  # Built in: nothing to load.
  if grep -q "/${m//_/[_-]}.ko" "$MODDIR/modules.builtin" 2>/dev/null; then continue; fi
  add_module "$m"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-image.XXXXXX")
trap 'rm -rf "$T"' EXIT
R=$T/root
mkdir -p "$R"/{dev,proc,sys,run,tmp,etc/berth-vm,newroot}
if command -v strip >/dev/null; then strip -o "$R/init" "$AGENT"; else cp "$AGENT" "$R/init"; fi
chmod 755 "$R/init"
: > "$R/etc/berth-vm/modules"
for m in "${order[@]}"; do
  src=$(modinfo -k "$KVER" -n "$m")
  [[ "$src" == /* ]] || continue  # (builtin)
  dst=$MODDIR/${m}.ko
  mkdir -p "$R$MODDIR"
  case "$src" in
    *.ko) cp "$src" "$R$dst" ;;
    *.ko.xz) xz -dc "$src" > "$R$dst" ;;
    *.ko.zst) zstd -qdc "$src" > "$R$dst" ;;
    *.ko.gz) gzip -dc "$src" > "$R$dst" ;;
    *) die "module $src: unknown compression" ;;
  esac
  echo "$dst" >> "$R/etc/berth-vm/modules"
done

mkdir -p "$OUT"
(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) > "$OUT/initramfs.cpio.tmp"
mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
# The kernel as an uncompressed ELF: QEMU boots it through its PVH entry
# (CONFIG_PVH), skipping the bzImage's real-mode set-up and decompression
# (about 0.7 s of a 5 s boot under TCG). The payload's place is in the
# bzImage's boot header; its last 4 bytes are the uncompressed size.
extract_vmlinux() {
  local img=$1 out=$2 sects off len
  sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
  [[ "$sects" == 0 ]] && sects=4
  off=$(( (sects + 1) * 512 + $(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ') ))
  len=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
  local want magic
  want=$(tail -c +$((off + len - 3)) "$img" | head -c4 | od -An -tu4 | tr -d ' ')
  magic=$(tail -c +$((off + 1)) "$img" | head -c4 | od -An -tx1 | tr -d ' ')
  local dec
  case "$magic" in
    02214c18) dec="lz4 -dc" ;;
    28b52ffd) dec="zstd -dc" ;;
    fd377a58) dec="xz -dc" ;;
    1f8b08*) dec="gzip -dc" ;;
    *) return 1 ;;
  esac
  command -v "${dec%% *}" >/dev/null || return 1
  tail -c +$((off + 1)) "$img" | head -c "$len" | $dec > "$out" 2>/dev/null || true
  [[ "$(head -c4 "$out" | od -An -tx1 | tr -d ' ')" == 7f454c46 && $(stat -c %s "$out") -eq $want ]]
}
rm -f "$OUT/kernel"
if [[ -n "$OWN_KERNEL" ]]; then
  cp "$KERNEL" "$OUT/kernel.tmp"
  mv "$OUT/kernel.tmp" "$OUT/kernel"
elif grep -qx "CONFIG_PVH=y" "$KCONFIG" && extract_vmlinux "$KERNEL" "$OUT/kernel.tmp"; then
  mv "$OUT/kernel.tmp" "$OUT/kernel"
else
  rm -f "$OUT/kernel.tmp"
  echo "vm-guest-image: could not extract an ELF kernel from $KERNEL: the guest boots the bzImage (slower)" >&2
  ln -sfn "$KERNEL" "$OUT/kernel"
fi
# cryptomgr.notests: the crypto self-tests take ~0.7 s of the boot under TCG.
echo "console=ttyS0 quiet panic=-1 reboot=t cryptomgr.notests" > "$OUT/cmdline"
echo "$KVER" > "$OUT/release"
echo "vm-guest-image: $OUT/initramfs.cpio ($(( $(stat -c %s "$OUT/initramfs.cpio") / 1024 )) KiB, modules: ${order[*]:-none}), kernel $KERNEL"
