#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.vm_runtime: the real docker CLI runs busybox in a QEMU microVM
# (--runtime berth-vm, issue 15), under TCG (software emulation: what CI has;
# E2E_VM_ACCEL=auto uses KVM where a vCPU runs). Checked: the guest's kernel
# is not the host's, exit codes, an -it shell, logs, exec, stop, a published
# port answered on the host's 127.0.0.1, a volume's file seen on both sides,
# --memory as the guest's MemTotal, docker info/inspect, the refusals, and a
# QEMU killed with SIGKILL ending the container with 137 and a die event.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/vm_runtime.sh
#
# The guest: BERTH_VM_KERNEL and BERTH_VM_INITRD (default the build tree's
# vm/kernel and vm/initramfs.cpio: `ninja vm-guest-image`, docs/vm.md). A
# missing prerequisite is a failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
source "$HERE/lib/berthd.bash"
source "$HERE/lib/vm_checks.bash"
E2E_LABEL="vm-runtime e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
PORT=${E2E_VM_PORT:-18480}
e2e_init vm_runtime
BRIDGE=${E2E_BRIDGE:-$BRIDGE} NFT_TABLE=${E2E_NFT_TABLE:-$NFT_TABLE}
need_cmd script stty curl qemu-system-x86_64 /usr/lib/qemu/virtiofsd

BUILD_DIR=$(dirname "$(dirname "$(dirname "$BERTHD")")")
KERNEL=${BERTH_VM_KERNEL:-$BUILD_DIR/vm/kernel}
INITRD=${BERTH_VM_INITRD:-$BUILD_DIR/vm/initramfs.cpio}
[[ -r "$KERNEL" ]] || die "prerequisite missing: the guest kernel $KERNEL (ninja -C $BUILD_DIR vm-guest-image, or set BERTH_VM_KERNEL)"
[[ -r "$INITRD" ]] || die "prerequisite missing: the guest initramfs $INITRD (ninja -C $BUILD_DIR vm-guest-image, or set BERTH_VM_INITRD)"

start_berthd --vm-kernel "$KERNEL" --vm-initrd "$INITRD" --vm-accel "${E2E_VM_ACCEL:-tcg}" ${E2E_BIP:+--bip "$E2E_BIP"}
import_busybox busybox:latest
RUN=(run --pull never --runtime berth-vm)

docker info --format '{{json .Runtimes}}'
if [[ $RC -eq 0 && $OUT == *'"berth-vm"'* && $OUT == *'"vm"'* ]]; then ok "docker info lists the berth-vm runtime (and its alias vm)"
else not_ok "docker info lists berth-vm" "$(why)"; fi

host_kernel=$(uname -r)
docker "${RUN[@]}" --rm busybox uname -r
if [[ $RC -eq 0 && -n "$OUT" && "$OUT" != "$host_kernel" ]]; then ok "uname -r in the VM is the guest's ($OUT), not the host's ($host_kernel)"
else not_ok "the guest has its own kernel" "host $host_kernel, guest: $(why)"; fi

# Free page reporting (docs/vm.md "Host memory per VM"): the guest's balloon
# driver is bound to QEMU's virtio-balloon device and the agent lowered the
# reporting order. The project's kernel has the driver built in; Debian's
# cloud kernel (the fallback image) has it as a module the agent does not load.
if cmp -s "$KERNEL" "$BUILD_DIR/kernel/vmlinux"; then
  docker "${RUN[@]}" --rm busybox sh -c 'ls /sys/bus/virtio/drivers/virtio_balloon | grep -c "^virtio"; cat /sys/module/page_reporting/parameters/page_reporting_order'
  if [[ $RC -eq 0 && $OUT == $'1\n5' ]]; then ok "the guest reports free pages: its balloon driver has QEMU's device, order 5"
  else not_ok "free page reporting in the guest" "$(why)"; fi
else
  ok "free page reporting not checked: $KERNEL is not the project's kernel (build/kernel/vmlinux), whose balloon driver is built in"
fi

docker "${RUN[@]}" --rm busybox sh -c 'echo out; echo err >&2; exit 7'
if [[ $RC -eq 7 && $OUT == out && $ERR == *err* ]]; then ok "exit code 7, stdout and stderr come back from the guest"
else not_ok "exit code and streams" "$(why)"; fi

docker "${RUN[@]}" --rm --runtime vm busybox true
if [[ $RC -eq 0 ]]; then ok "--runtime vm (the alias) runs"; else not_ok "--runtime vm" "$(why)"; fi

docker_q=$(printf '%q ' "$DOCKER_CLI")
capture script -qec "stty rows 31 cols 97; $docker_q run -it --rm --pull never --runtime berth-vm busybox sh -c 'stty size; tty; echo hi-from-the-vm'" /dev/null </dev/null
if [[ $RC -eq 0 && $OUT == *"31 97"* && $OUT == */dev/pts/* && $OUT == *hi-from-the-vm* ]]; then ok "-it: a terminal in the guest, with the client's size"
else not_ok "-it shell in the VM" "$(why)"; fi

mkdir -p "$T/vol"
echo host-wrote >"$T/vol/in.txt"
docker "${RUN[@]}" -d --name web -p "127.0.0.1:$PORT:8080" -v "$T/vol:/data" busybox \
  sh -c 'cat /data/in.txt; echo guest-wrote >/data/out.txt; echo started; exec httpd -f -p 8080 -h /data'
[[ $RC -eq 0 ]] || die "docker run -d web: $(why)"
check_web_vm web "$PORT" guest
docker exec web sh -c 'cat /data/in.txt; exit 3'
if [[ $RC -eq 3 && $OUT == host-wrote ]]; then ok "docker exec runs in the guest (output, exit code 3)"
else not_ok "exec in the VM" "$(why)"; fi
docker inspect --format '{{.NetworkSettings.IPAddress}}' web
web_ip=$OUT
docker "${RUN[@]}" --rm busybox sh -c "printf 'GET /in.txt HTTP/1.0\r\n\r\n' | nc -w 10 $web_ip 8080"
if [[ $RC -eq 0 && $OUT == *host-wrote* ]]; then ok "a guest connects to another VM container's address ($web_ip:8080)"
else not_ok "connections from a guest" "$(why)"; fi
docker inspect --format '{{.State.RuntimeDetails.VMAccel}} {{.HostConfig.Runtime}}' web
if [[ $RC -eq 0 && $OUT == "${E2E_VM_ACCEL:-tcg} berth-vm" ]]; then ok "inspect reports the accelerator ($OUT)"
else not_ok "inspect's RuntimeDetails" "$(why)"; fi
docker pause web
if [[ $RC -eq 0 ]]; then ok "docker pause (QMP stop: the whole VM stops)"; else not_ok "pause" "$(why)"; fi
docker inspect --format '{{.State.Status}}' web
[[ $OUT == paused ]] || not_ok "paused state" "$(why)"
docker unpause web
if [[ $RC -eq 0 ]]; then ok "docker unpause (QMP cont)"; else not_ok "unpause" "$(why)"; fi
# Under TCG on a loaded host a first connection can stall (its SYN unanswered for
# seconds): each attempt is bounded, all of them by 60 s.
capture curl -sS --max-time 10 --retry 10 --retry-delay 1 --retry-max-time 60 --retry-connrefused "http://127.0.0.1:$PORT/in.txt"
if [[ $RC -eq 0 && $OUT == host-wrote ]]; then ok "after unpause the guest answers again"
else not_ok "the guest after unpause" "$(why)"; fi
docker stop -t 2 web
docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' web
if [[ $OUT == "exited 137" || $OUT == "exited 143" ]]; then ok "docker stop ends the VM container ($OUT)"
else not_ok "stop" "$(why)"; fi

docker "${RUN[@]}" --rm --memory 256m busybox sh -c 'grep MemTotal /proc/meminfo'
kb=$(awk '{print $2}' <<<"$OUT")
if [[ $RC -eq 0 && -n "$kb" ]] && ((kb > 200000 && kb <= 262144)); then ok "--memory 256m is the guest's MemTotal (${kb} kB)"
else not_ok "--memory as the VM's size" "$(why)"; fi

docker "${RUN[@]}" --rm --network host busybox true
if [[ $RC -ne 0 && $ERR == *"--network host cannot work in a VM"* ]]; then ok "--network host is refused with the reason"
else not_ok "refusal of --network host" "$(why)"; fi

docker "${RUN[@]}" -d --name victim busybox sh -c 'echo up; exec sleep 1000'
[[ $RC -eq 0 ]] || die "docker run -d victim: $(why)"
wait_for_log victim up || die "victim did not start: $(why)"
docker inspect --format '{{.State.RuntimeDetails.VMQemuPid}}' victim
qemu_pid=$OUT
[[ "$qemu_pid" =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$qemu_pid/comm" 2>/dev/null) == qemu-system-x86 ]] ||
  die "inspect does not name the victim's QEMU ($qemu_pid)"
"$DOCKER_CLI" events --filter container=victim --filter event=die --format '{{.Action}} {{.Actor.Attributes.exitCode}}' \
  >"$T/events" 2>&1 &
events_pid=$!
# The events stream is open once the daemon answers a request made after it: a
# second (cheap) request orders it.
docker version >/dev/null
kill -KILL "$qemu_pid"
capture timeout 60 "$DOCKER_CLI" wait victim
if [[ $RC -eq 0 && $OUT == 137 ]]; then ok "QEMU killed with SIGKILL: the container exits 137, no hang"
else not_ok "QEMU crash ends the container" "$(why)"; fi
for _ in $(seq 100); do grep -q '^die' "$T/events" && break; sleep 0.1; done
kill "$events_pid" 2>/dev/null || true
wait "$events_pid" 2>/dev/null || true
if grep -qx 'die 137' "$T/events"; then ok "and a die event with exitCode 137"
else not_ok "die event after QEMU's death" "$(cat "$T/events")"; fi

docker rm -f web victim
