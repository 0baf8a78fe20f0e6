#!/usr/bin/env bash
# vm-guest-boot.sh [RUNS]: the microVM guest image's boot, per guest kernel
# (Debian's cloud kernel and the generic one), side by side in one run: wall
# time from starting QEMU to the agent's Hello, to QEMU's exit after a
# shutdown request, and QEMU's PSS with the guest idle. TCG unless
# BERTH_VM_ACCEL=kvm. Prints a table and the cloud/generic ratio. By hand, as
# root, after `ninja -C build berth-vm-agent vm-agent-driver` (docs/vm.md).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
RUNS=${1:-3}
AGENT=${BERTH_VM_AGENT:-$REPO/build/cmd/berth-vm-agent/berth-vm-agent}
DRIVER=${BERTH_VM_DRIVER:-$REPO/build/tests/tools/vm-agent-driver}
ACCEL=${BERTH_VM_ACCEL:-tcg}
[[ -x "$AGENT" && -x "$DRIVER" ]] || { echo "build berth-vm-agent and vm-agent-driver first" >&2; exit 1; }

T=$(mktemp -d /tmp/berth-vm-boot-bench.XXXXXX)
trap 'for f in "$T"/*.pid; do [[ -s $f ]] && kill -9 "$(cat "$f")" 2>/dev/null; done; rm -rf "$T"' EXIT

kernels=()
for k in /boot/vmlinuz-*-cloud-amd64 /boot/vmlinuz-*[0-9]-amd64; do [[ -r $k ]] && kernels+=("$k"); done
[[ ${#kernels[@]} -gt 0 ]] || { echo "no /boot/vmlinuz-*-amd64" >&2; exit 1; }

append_extra=""
if [[ "$ACCEL" == tcg ]]; then
  mhz=$(awk -F: '/^cpu MHz/{print $2; exit}' /proc/cpuinfo)
  append_extra=" tsc_early_khz=$(awk -v m="$mhz" 'BEGIN{printf "%d", m*1000}') tsc=reliable no_timer_check"
fi

now() { date +%s.%N; }
printf "%-32s %4s %10s %10s %12s\n" kernel run hello_s exit_s qemu_pss_MiB
for k in "${kernels[@]}"; do bash "$REPO/scripts/vm-guest-image.sh" "$T/$(basename "$k")" "$AGENT" "$k" >/dev/null; done
# Interleaved (one boot of each kernel per round), so load from elsewhere hits both alike.
declare -A all_hello=()
for i in $(seq "$RUNS"); do
  for k in "${kernels[@]}"; do
    name=$(basename "$k")
    rm -f "$T/agent.sock" "$T/q.pid"
    t0=$(now)
    qemu-system-x86_64 -M microvm -accel "$ACCEL${BERTH_VM_ACCEL_OPTS:+,$BERTH_VM_ACCEL_OPTS}" -cpu max -m 128 -smp 1 -nodefaults -no-user-config \
      -nographic -no-reboot -global virtio-mmio.force-legacy=false -serial "file:$T/console.log" -pidfile "$T/q.pid" \
      -kernel "$T/$name/kernel" -initrd "$T/$name/initramfs.cpio" -append "$(cat "$T/$name/cmdline")$append_extra" \
      -device virtio-serial-device -chardev "socket,id=agent,path=$T/agent.sock,server=on,wait=off" \
      -device virtserialport,chardev=agent,name=berth.agent </dev/null >"$T/qemu.log" 2>&1 &
    q=$!
    out=$("$DRIVER" --socket "$T/agent.sock" --boot-only --qemu-pidfile "$T/q.pid" --timeout 120)
    wait "$q"
    t_exit=$(echo "$(now) - $t0" | bc)
    hello=$(sed -nE 's/^ok - hello from .* after ([0-9.]+) s.*/\1/p' <<<"$out")
    pss=$(sed -nE 's/^# qemu Pss: +([0-9]+) kB/\1/p' <<<"$out")
    printf "%-32s %4d %10s %10.2f %12.1f\n" "$name" "$i" "$hello" "$t_exit" "$(echo "${pss:-0} / 1024" | bc -l)"
    all_hello[$name]="${all_hello[$name]:-} $hello"
  done
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for k in "${kernels[@]}"; do
  name=$(basename "$k")
  printf "median hello %s: %.2f s\n" "$name" "$(median "${all_hello[$name]}")"
done
if [[ ${#kernels[@]} -ge 2 ]]; then
  a=$(basename "${kernels[0]}") b=$(basename "${kernels[1]}")
  printf "ratio of medians %s / %s: %.2f\n" "$b" "$a" "$(echo "$(median "${all_hello[$b]}") / $(median "${all_hello[$a]}")" | bc -l)"
fi
