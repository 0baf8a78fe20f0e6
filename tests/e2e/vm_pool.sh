#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.vm_pool: berthd --vm-pool keeps booted microVMs (issue 15, docs/vm.md
# "The pool") and `docker run --runtime berth-vm` takes one. With the real
# docker CLI, under TCG: a pooled run has the guest's kernel, its exit code,
# -it, a volume's file on both sides, a published port, exec, inspect's
# VMFromPool; the pool refills after a claim; another VM size goes cold and
# leaves the pool alone; docker wait; an idle VM whose keeper was killed is
# dropped, swept and replaced; kill -9 of berthd leaves the pooled container
# running (exec, stats, pause, rm -f after the restart) and ends the idle VM;
# stopping berthd ends the idle VM: no keeper, QEMU, mount or dir is left.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/vm_pool.sh
#
# The guest image as for e2e.vm_runtime (BERTH_VM_KERNEL, BERTH_VM_INITRD).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
source "$HERE/lib/vm_checks.bash"
E2E_LABEL="vm-pool e2e"
PORT=${E2E_VM_POOL_PORT:-18481}
e2e_init vm_pool
BRIDGE=${E2E_BRIDGE:-$BRIDGE} NFT_TABLE=${E2E_NFT_TABLE:-$NFT_TABLE} CG_NAME=${E2E_CGROUP:-$CG_NAME}
need_cmd script stty curl qemu-system-x86_64 /usr/lib/qemu/virtiofsd

BUILD_DIR=$(dirname "$(dirname "$(dirname "$BERTHD")")")
KERNEL=${BERTH_VM_KERNEL:-$BUILD_DIR/vm/kernel}
INITRD=${BERTH_VM_INITRD:-$BUILD_DIR/vm/initramfs.cpio}
[[ -r "$KERNEL" ]] || die "prerequisite missing: the guest kernel $KERNEL (ninja -C $BUILD_DIR vm-guest-image, or set BERTH_VM_KERNEL)"
[[ -r "$INITRD" ]] || die "prerequisite missing: the guest initramfs $INITRD (ninja -C $BUILD_DIR vm-guest-image, or set BERTH_VM_INITRD)"
POOL="$T/exec/vm-pool"
DAEMON_FLAGS=(--vm-kernel "$KERNEL" --vm-initrd "$INITRD" --vm-accel "${E2E_VM_ACCEL:-tcg}" --vm-pool 1
  ${E2E_BIP:+--bip "$E2E_BIP"})

# The idle pooled VMs: keepers' dirs with their adopt socket (gone once claimed).
idle_vms() { find "$POOL" -mindepth 2 -maxdepth 2 -name adopt.sock -printf '%h\n' 2>/dev/null | sort; }
# wait_idle N: until N VMs are idle (a boot takes seconds under TCG; 120 s at most).
wait_idle() {
  local deadline=$((SECONDS + 120))
  while (($(idle_vms | grep -c .) < $1)); do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
# What a pool can leave: keepers' dirs, their processes (QEMU, virtiofsd and
# keepers name the pool dir), mounts below it.
pool_leftovers() {
  find "$POOL" -mindepth 1 -maxdepth 1 2>/dev/null | sed 's/^/dir /'
  pids_under "$POOL" | sed 's/^/pid /'
  awk -v d="$POOL" 'index($5, d "/") == 1 { print "mount " $5 }' /proc/self/mountinfo
}
# wait_gone DIR: a keeper removes its dir once its VM ended (bounded).
wait_gone() {
  local deadline=$((SECONDS + 30))
  while [[ -e "$1" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
# wait_clean: the idle VM ends in the background of berthd's end (bounded).
wait_clean() {
  local deadline=$((SECONDS + 30))
  while [[ -n "$(pool_leftovers)" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

start_berthd "${DAEMON_FLAGS[@]}"
import_busybox busybox:latest
RUN=(run --pull never --runtime berth-vm)

wait_idle 1 || die "no pooled VM booted within 120 s: $(tail -n 5 "$T/berthd.log" | tr '\n' '|')"
ok "berthd --vm-pool 1 boots a VM ahead of need"
first=$(idle_vms)

mkdir -p "$T/vol"
echo host-wrote >"$T/vol/in.txt"
docker "${RUN[@]}" -d --name web -p "127.0.0.1:$PORT:8080" -v "$T/vol:/data" busybox \
  sh -c 'cat /data/in.txt; echo guest-wrote >/data/out.txt; echo started; exec httpd -f -p 8080 -h /data'
[[ $RC -eq 0 ]] || die "docker run -d web: $(why)"
docker inspect --format '{{.State.RuntimeDetails.VMFromPool}} {{.State.RuntimeDetails.VMAccel}}' web
if [[ $RC -eq 0 && $OUT == "true ${E2E_VM_ACCEL:-tcg}" ]]; then ok "inspect says the VM came from the pool ($OUT)"
else not_ok "VMFromPool in inspect" "$(why)"; fi
if [[ -d "$first" && ! -e "$first/adopt.sock" ]]; then ok "the container took the idle VM (its keeper stopped listening)"
else not_ok "the claim took the idle VM" "$first: $(ls "$first" 2>&1)"; fi
check_web_vm web "$PORT" "pooled guest"
host_kernel=$(uname -r)
docker exec web sh -c 'uname -r; exit 3'
if [[ $RC -eq 3 && -n "$OUT" && $OUT != "$host_kernel" ]]; then ok "docker exec runs in the pooled guest (kernel $OUT, exit code 3)"
else not_ok "exec in the pooled VM" "$(why)"; fi
docker inspect --format '{{.NetworkSettings.MacAddress}}' web
mac=$OUT
docker exec web cat /sys/class/net/eth0/address
if [[ $RC -eq 0 && -n "$mac" && $OUT == "$mac" ]]; then ok "the pooled guest's NIC took the container's MAC ($mac)"
else not_ok "the guest NIC's MAC" "inspect $mac, guest: $(why)"; fi

wait_idle 1 || die "the pool did not refill after the claim"
refilled=$(idle_vms)
if [[ -n "$refilled" && "$refilled" != "$first" ]]; then ok "the pool refilled after the claim"
else not_ok "refill" "idle: $refilled"; fi

# A connection the pooled guest opens: to web's address, from a second pooled VM.
docker inspect --format '{{.NetworkSettings.IPAddress}}' web
web_ip=$OUT
docker "${RUN[@]}" --rm busybox sh -c "printf 'GET /in.txt HTTP/1.0\r\n\r\n' | nc -w 10 $web_ip 8080"
if [[ $RC -eq 0 && $OUT == *host-wrote* ]] && wait_gone "$refilled"; then ok "a pooled guest connects to another container's address ($web_ip:8080)"
else not_ok "connections from a pooled guest" "$(why)"; fi
wait_idle 1 || die "the pool did not refill"
second=$(idle_vms)

docker stop -t 2 web
docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' web
if [[ $OUT == "exited 137" || $OUT == "exited 143" ]]; then ok "docker stop ends the pooled VM's container ($OUT)"
else not_ok "stop" "$(why)"; fi
docker rm web
if wait_gone "$first"; then ok "the ended pooled VM's keeper removed its dir"
else not_ok "the claimed VM's leftovers" "$(ls -la "$first" 2>&1)"; fi

docker "${RUN[@]}" --rm --memory 256m busybox sh -c 'grep MemTotal /proc/meminfo'
kb=$(awk '{print $2}' <<<"$OUT")
if [[ $RC -eq 0 && -n "$kb" ]] && ((kb > 200000)) && [[ "$(idle_vms)" == "$second" ]]; then
  ok "--memory 256m goes cold (${kb} kB) and leaves the pooled VM idle"
else not_ok "another size goes cold" "$(why); idle: $(idle_vms)"; fi

start=$(date +%s%N)
docker "${RUN[@]}" --rm busybox sh -c 'uname -r; exit 7'
took=$((($(date +%s%N) - start) / 1000000))
if [[ $RC -eq 7 && -n "$OUT" && $OUT != "$host_kernel" ]] && wait_gone "$second"; then
  ok "run --rm on a pooled VM: its kernel ($OUT), exit code 7, ${took} ms"
else not_ok "pooled run --rm" "$(why); $second: $(ls "$second" 2>&1)"; fi

wait_idle 1 || die "the pool did not refill"
docker_q=$(printf '%q ' "$DOCKER_CLI")
capture script -qec "stty rows 31 cols 97; $docker_q run -it --rm --pull never --runtime berth-vm busybox sh -c 'stty size; tty; echo hi-from-the-pool'" /dev/null </dev/null
if [[ $RC -eq 0 && $OUT == *"31 97"* && $OUT == */dev/pts/* && $OUT == *hi-from-the-pool* ]]; then ok "-it on a pooled VM: a terminal with the client's size"
else not_ok "-it on a pooled VM" "$(why)"; fi

wait_idle 1 || die "the pool did not refill"
docker "${RUN[@]}" -d --name waiter busybox sh -c 'echo bye; exit 5'
[[ $RC -eq 0 ]] || die "docker run -d waiter: $(why)"
capture timeout 60 "$DOCKER_CLI" wait waiter
if [[ $RC -eq 0 && $OUT == 5 ]]; then ok "docker wait on a pooled container: 5"; else not_ok "wait" "$(why)"; fi
docker rm waiter >/dev/null

# A pooled VM that dies idle (its keeper killed with SIGKILL: QEMU follows
# it, its mounts and dir stay) is dropped, swept and replaced.
wait_idle 1 || die "the pool did not refill"
idle=$(idle_vms)
keeper=$(for p in $(pids_under "$idle"); do [[ $(cat "/proc/$p/comm" 2>/dev/null) != berth-vm-runner ]] || echo "$p"; done)
[[ "$keeper" =~ ^[0-9]+$ ]] || die "no keeper process for $idle ($keeper)"
kill -KILL "$keeper"
if wait_gone "$idle" && wait_idle 1 && [[ "$(idle_vms)" != "$idle" ]] &&
  ! awk -v d="$idle" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
  ok "a pooled VM whose keeper was killed is dropped, its mounts and dir removed, and replaced"
else not_ok "a dead idle VM" "idle now: $(idle_vms); $(ls -la "$idle" 2>&1)"; fi

# Live restore: the pooled container outlives berthd; the idle VM does not.
wait_idle 1 || die "the pool did not refill"
keep_dir=$(idle_vms)
docker "${RUN[@]}" -d --name keep busybox sh -c 'echo up; exec sleep 1000'
[[ $RC -eq 0 ]] || die "docker run -d keep: $(why)"
wait_for_log keep up || die "keep did not start: $(why)"
docker inspect --format '{{.State.RuntimeDetails.VMFromPool}}' keep
[[ $OUT == true ]] || not_ok "keep runs on a pooled VM" "$(why)"
wait_idle 1 || die "the pool did not refill"
idle=$(idle_vms)
kill9_berthd
deadline=$((SECONDS + 30))
while [[ -e "$idle" ]] && ((SECONDS < deadline)); do sleep 0.2; done
if [[ ! -e "$idle" && -z "$(pids_under "$idle")" ]]; then ok "kill -9 of berthd: the idle pooled VM ended and its dir went"
else not_ok "idle VM after kill -9" "$(ls -la "$idle" 2>&1); pids $(pids_under "$idle")"; fi
start_berthd "${DAEMON_FLAGS[@]}"
docker exec keep echo still-here
if [[ $RC -eq 0 && $OUT == still-here ]]; then ok "after the restart, exec in the pooled container works"
else not_ok "exec after live restore" "$(why)"; fi
docker stats --no-stream --format '{{.MemUsage}}' keep
if [[ $RC -eq 0 && $OUT == *B* ]]; then ok "docker stats of the pooled container ($OUT)"; else not_ok "stats" "$(why)"; fi
docker pause keep
docker inspect --format '{{.State.Status}}' keep
p=$OUT
docker unpause keep
docker exec keep echo after-pause
if [[ $p == paused && $RC -eq 0 && $OUT == after-pause ]]; then ok "pause and unpause of the pooled VM"
else not_ok "pause/unpause" "state $p; $(why)"; fi
docker rm -f keep
if [[ $RC -eq 0 ]] && wait_gone "$keep_dir"; then ok "rm -f of the running pooled container ends its VM and its keeper's dir"
else not_ok "rm -f" "$(why); $(ls -la "$keep_dir" 2>&1)"; fi

wait_idle 1 || die "the restarted berthd did not fill its pool"
stop_berthd
if wait_clean; then ok "stopping berthd ends its idle VM: no keeper, QEMU, virtiofsd, mount or dir left"
else not_ok "leftovers after berthd stopped" "$(pool_leftovers | tr '\n' '|')"; fi
