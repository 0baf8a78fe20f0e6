#!/usr/bin/env bash
# vm-guest-boot.sh [RUNS]: the microVM guest image's boot, per guest kernel
# (the project's minimal kernel from scripts/vm-kernel.sh when built, Debian's
# cloud kernel, and the generic one with GENERIC=1) and per TCG translation
# cache size (TB_SIZES, MiB, default 64), side by side in one run: wall time
# from starting QEMU to the agent's Hello, to QEMU's exit after a shutdown
# request, and QEMU's PSS with the guest idle at the agent's loop. QEMU gets
# what berth-vm-runner gives it (src/vm/machine.cc: memfd guest RAM, 128 MiB,
# the same kernel command line). TCG unless BERTH_VM_ACCEL=kvm. Prints a table
# and the medians. By hand, as root, after
# `ninja -C build berth-vm-agent vm-agent-driver vm-kernel` (docs/vm.md).
#
#   TB_SIZES="8 16 32 64" bash bench/vm-guest-boot.sh 5
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
RUNS=${1:-3}
AGENT=${BERTH_VM_AGENT:-$REPO/build/cmd/berth-vm-agent/berth-vm-agent}
DRIVER=${BERTH_VM_DRIVER:-$REPO/build/tests/tools/vm-agent-driver}
OWN=${BERTH_VM_KERNEL_DIR:-$REPO/build/kernel}/vmlinux
ACCEL=${BERTH_VM_ACCEL:-tcg}
TB_SIZES=${TB_SIZES:-64}
MEM=${MEM:-128}
# QEMU options to try on top (e.g. EXTRA_MACHINE=",pit=off,pic=off,rtc=off").
EXTRA_MACHINE=${EXTRA_MACHINE:-}
[[ -x "$AGENT" && -x "$DRIVER" ]] || { echo "build berth-vm-agent and vm-agent-driver first" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-boot-bench.XXXXXX")
trap 'for f in "$T"/*.pid; do [[ -s $f ]] && kill -9 "$(cat "$f")" 2>/dev/null; done; rm -rf "$T"' EXIT

kernels=()
[[ -r "$OWN" ]] && kernels+=("$OWN")
for k in $(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n1); do kernels+=("$k"); done
if [[ "${GENERIC:-}" == 1 ]]; then
  for k in $(ls -1 /boot/vmlinuz-*[0-9]-amd64 2>/dev/null | sort -V | tail -n1); do kernels+=("$k"); done
fi
[[ ${#kernels[@]} -gt 0 ]] || { echo "no guest kernel (ninja vm-kernel, or linux-image-cloud-amd64)" >&2; exit 1; }

append_extra=""
if [[ "$ACCEL" == tcg ]]; then
  mhz=$(awk -F: '/^cpu MHz/{print $2; exit}' /proc/cpuinfo)
  append_extra=" tsc_early_khz=$(awk -v m="$mhz" 'BEGIN{printf "%d", m*1000}') tsc=reliable no_timer_check"
fi

name_of() { if [[ "$1" == "$OWN" ]]; then echo "own-$(cat "$(dirname "$1")/release")"; else basename "$1"; fi; }
now() { date +%s.%N; }
for k in "${kernels[@]}"; do bash "$REPO/scripts/vm-guest-image.sh" "$T/$(name_of "$k")" "$AGENT" "$k" >/dev/null; done
printf "%-34s %4s %4s %10s %10s %12s %10s %10s\n" kernel tb run hello_s exit_s qemu_pss_MiB kernel_MiB initrd_KiB
# Interleaved (one boot of each kernel and cache size per round), so load from elsewhere hits all alike.
declare -A all_hello=() all_pss=()
for i in $(seq "$RUNS"); do
  for k in "${kernels[@]}"; do
    for tb in $TB_SIZES; do
      name=$(name_of "$k")
      rm -f "$T/agent.sock" "$T/q.pid"
      accel=$ACCEL
      [[ "$ACCEL" == tcg ]] && accel="tcg,tb-size=$tb"
      t0=$(now)
      qemu-system-x86_64 -M "microvm,memory-backend=mem$EXTRA_MACHINE" -accel "$accel" -cpu max -m "$MEM" -smp 1 \
        -object "memory-backend-memfd,id=mem,size=${MEM}M,share=on" -nodefaults -no-user-config \
        -nographic -no-reboot -global virtio-mmio.force-legacy=false -serial "file:$T/console.log" -pidfile "$T/q.pid" \
        -kernel "$T/$name/kernel" -initrd "$T/$name/initramfs.cpio" -append "$(cat "$T/$name/cmdline")$append_extra" \
        -device virtio-serial-device,max_ports=2 -chardev "socket,id=agent,path=$T/agent.sock,server=on,wait=off" \
        -device virtserialport,chardev=agent,name=berth.agent </dev/null >"$T/qemu.log" 2>&1 &
      q=$!
      out=$("$DRIVER" --socket "$T/agent.sock" --boot-only --qemu-pidfile "$T/q.pid" --timeout 120)
      wait "$q"
      t_exit=$(echo "$(now) - $t0" | bc)
      hello=$(sed -nE 's/^ok - hello from .* after ([0-9.]+) s.*/\1/p' <<<"$out")
      pss=$(sed -nE 's/^# qemu Pss: +([0-9]+) kB/\1/p' <<<"$out")
      pss_mib=$(echo "${pss:-0} / 1024" | bc -l)
      printf "%-34s %4s %4d %10s %10.2f %12.1f %10.1f %10d\n" "$name" "$tb" "$i" "$hello" "$t_exit" "$pss_mib" \
        "$(echo "$(stat -L -c %s "$T/$name/kernel") / 1048576" | bc -l)" "$(( $(stat -c %s "$T/$name/initramfs.cpio") / 1024 ))"
      all_hello["$name tb=$tb"]="${all_hello["$name tb=$tb"]:-} $hello"
      all_pss["$name tb=$tb"]="${all_pss["$name tb=$tb"]:-} $pss_mib"
    done
  done
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for key in "${!all_hello[@]}"; do
  printf "median %-44s hello %.2f s, qemu PSS %.1f MiB\n" "$key" "$(median "${all_hello[$key]}")" "$(median "${all_pss[$key]}")"
done | sort
