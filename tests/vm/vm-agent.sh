#!/usr/bin/env bash
# vm.vm-agent: boots the microVM guest image (scripts/vm-guest-image.sh:
# Debian's cloud kernel + an initramfs whose /init is berth-vm-agent) under
# QEMU's microvm machine (TCG unless BERTH_VM_ACCEL says otherwise), shares a
# busybox rootfs and a volume with virtiofsd, and drives the agent over the
# virtio-serial port with tests/tools/vm-agent-driver: uname -r differs from
# the host's, exit codes, stdout/stderr, stdin, a terminal and its resize, a
# signal, exec, stats, pause/resume, a volume file seen on both sides, the
# guest's NIC (a tap) configured by the agent and used from a container, the
# host reconnecting while a container runs, errors, and shutdown (QEMU exits
# by itself). A second boot kills QEMU under a
# pending wait: the driver must get an error, not hang. See docs/vm.md.
#
#   bash tests/vm/vm-agent.sh
#
# Knobs: BERTH_VM_AGENT, BERTH_VM_DRIVER (the built binaries), BERTH_VM_KERNEL,
# BERTH_VM_ACCEL (tcg), BERTH_VM_TAP (t15a0) and BERTH_VM_NET (10.223.0, a /24
# for the tap), BERTH_VM_KEEP=1 (keep the temp dir). A missing
# prerequisite is a failure, never a skip.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

AGENT=${BERTH_VM_AGENT:-$REPO/build/cmd/berth-vm-agent/berth-vm-agent}
DRIVER=${BERTH_VM_DRIVER:-$REPO/build/tests/tools/vm-agent-driver}
ACCEL=${BERTH_VM_ACCEL:-tcg}
VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
# The guest's NIC: a tap on this host, the guest at .2, the host end at .1.
TAP=${BERTH_VM_TAP:-t15a0}
NET=${BERTH_VM_NET:-10.223.0}
MAC=52:54:00:15:a0:02

die() { echo "vm.vm-agent: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (virtiofsd and the containers in the guest)"
[[ -x "$AGENT" ]] || die "BERTH_VM_AGENT=$AGENT is not an executable (ninja -C build berth-vm-agent)"
[[ -x "$DRIVER" ]] || die "BERTH_VM_DRIVER=$DRIVER is not an executable (ninja -C build vm-agent-driver)"
QEMU=$(command -v qemu-system-x86_64 || true)
[[ -n "$QEMU" ]] || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86 (scripts/setup.sh does)"
[[ -x "$VIRTIOFSD" ]] || die "$VIRTIOFSD not found (Debian's qemu-system-x86 ships it)"
for c in cpio modinfo timeout ip; do command -v "$c" >/dev/null || die "$c not found (scripts/setup.sh installs it)"; done

T=$(mktemp -d /tmp/berth-vm-agent.XXXXXX)
pids=()
cleanup() {
  local p f
  # QEMU itself (its pid is not $! under timeout), then what this script started.
  for f in "$T"/*-qemu.pid; do [[ -s "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip link del "$TAP" 2>/dev/null || true
  if [[ "${BERTH_VM_KEEP:-}" == 1 ]]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

bash "$REPO/scripts/vm-guest-image.sh" "$T/img" "$AGENT" ${BERTH_VM_KERNEL:+"$BERTH_VM_KERNEL"} ||
  die "building the guest image failed"
sh "$REPO/tests/fixtures/make-rootfs.sh" "$T/rootfs" >/dev/null || die "make-rootfs.sh failed"
mkdir -p "$T/vol"
echo "written on the host" > "$T/vol/from-host"

# Under TCG the guest takes the TSC rate from the command line (docs/vm.md).
APPEND="$(cat "$T/img/cmdline")"
if [[ "$ACCEL" == tcg ]]; then
  mhz=$(awk -F: '/^cpu MHz/{print $2; exit}' /proc/cpuinfo)
  [[ -n "$mhz" ]] || die "no 'cpu MHz' in /proc/cpuinfo for the guest's tsc_early_khz"
  APPEND+=" tsc_early_khz=$(awk -v m="$mhz" 'BEGIN{printf "%d", m*1000}') tsc=reliable no_timer_check"
fi

ip link del "$TAP" 2>/dev/null || true  # a stale one from a killed run
ip tuntap add dev "$TAP" mode tap || die "cannot create the tap $TAP"
ip addr add "$NET.1/24" dev "$TAP"
ip link set "$TAP" up

# boot NAME [QEMU ARGS...]: virtiofsd for the rootfs and the volume, then QEMU in the background ($qemu_pid).
boot() {
  local n=$1
  shift
  "$VIRTIOFSD" --socket-path="$T/$n-fs0.sock" -o source="$T/rootfs" -o cache=none >"$T/$n-fs0.log" 2>&1 &
  pids+=($!)
  "$VIRTIOFSD" --socket-path="$T/$n-fs1.sock" -o source="$T/vol" -o cache=none >"$T/$n-fs1.log" 2>&1 &
  pids+=($!)
  local i
  for i in $(seq 100); do [[ -S "$T/$n-fs0.sock" && -S "$T/$n-fs1.sock" ]] && break; sleep 0.05; done
  [[ -S "$T/$n-fs0.sock" && -S "$T/$n-fs1.sock" ]] || die "virtiofsd did not create its sockets (see $T/$n-fs*.log)"
  timeout --kill-after=5 150 "$QEMU" -M microvm,memory-backend=mem -accel "$ACCEL" -cpu max -m 256 -smp 1 \
    -nodefaults -no-user-config -nographic -no-reboot -global virtio-mmio.force-legacy=false \
    -object memory-backend-memfd,id=mem,size=256M,share=on \
    -serial "file:$T/$n-console.log" -pidfile "$T/$n-qemu.pid" \
    -kernel "$T/img/kernel" -initrd "$T/img/initramfs.cpio" -append "$APPEND" \
    -device virtio-serial-device \
    -chardev "socket,id=agent,path=$T/$n-agent.sock,server=on,wait=off" \
    -device virtserialport,chardev=agent,name=berth.agent \
    -chardev "socket,id=fs0,path=$T/$n-fs0.sock" -device vhost-user-fs-device,chardev=fs0,tag=rootfs \
    -chardev "socket,id=fs1,path=$T/$n-fs1.sock" -device vhost-user-fs-device,chardev=fs1,tag=vol0 \
    "$@" </dev/null >"$T/$n-qemu.log" 2>&1 &
  qemu_pid=$!
  pids+=($qemu_pid)
}

SH=/run/berth-vm/shares
start=$(date +%s)
echo "vm.vm-agent: boot 1 ($ACCEL): the checks, then shutdown"
boot one -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" -device "virtio-net-device,netdev=n0,mac=$MAC"
set +e
"$DRIVER" --socket "$T/one-agent.sock" --rootfs "$SH/rootfs" --share "rootfs:$SH/rootfs" --share "vol0:$SH/vol0" \
  --volume "$SH/vol0=$T/vol" --network "$MAC,$NET.2/24,$NET.1" --expect-other-kernel --timeout 60 | tee "$T/one-driver.log"
drc=${PIPESTATUS[0]}
wait "$qemu_pid"
qrc=$?
set -e
echo "vm.vm-agent: driver exited $drc, qemu exited $qrc after $(( $(date +%s) - start ))s"
if [[ $drc -ne 0 || $qrc -ne 0 ]]; then
  echo "--- guest console"; tr -d '\r' < "$T/one-console.log" | tail -n 40
  echo "--- qemu"; tail -n 20 "$T/one-qemu.log"
  [[ $drc -eq 0 ]] || die "boot 1: the driver reported failures"
  die "boot 1: qemu exited $qrc after shutdown (0 expected)"
fi

echo "vm.vm-agent: boot 2 ($ACCEL): qemu killed under a pending wait"
boot two
set +e
"$DRIVER" --socket "$T/two-agent.sock" --rootfs "$SH/rootfs" --share "rootfs:$SH/rootfs" --crash-test "$T/two-qemu.pid" \
  --timeout 60 | tee "$T/two-driver.log"
drc=${PIPESTATUS[0]}
{ wait "$qemu_pid"; } 2>/dev/null  # killed: no job message
set -e
if [[ $drc -ne 0 ]]; then
  echo "--- guest console"; tr -d '\r' < "$T/two-console.log" | tail -n 40
  die "boot 2: the driver reported failures"
fi
p1=$(sed -nE 's/^([0-9]+) passed, 0 failed$/\1/p' "$T/one-driver.log")
p2=$(sed -nE 's/^([0-9]+) passed, 0 failed$/\1/p' "$T/two-driver.log")
echo "vm.vm-agent: $(( p1 + p2 )) passed, 0 failed ($(( $(date +%s) - start ))s)"
