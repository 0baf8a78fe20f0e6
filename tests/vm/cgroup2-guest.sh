#!/usr/bin/env bash
# vm.cgroup2-guest: boots a pure cgroup v2 Linux guest under qemu (TCG, no KVM,
# no network) from an initramfs holding busybox, berth-runtime and its shared
# libraries and a busybox bundle, and runs berth-runtime there: cgroup
# namespace, memory/pids/cpu limits, the eBPF device filter, freeze, update,
# events --stats and clean-up on delete. This host is v1/hybrid, so the v2-only
# paths (clone3 CLONE_INTO_CGROUP, BPF devices, cgroup.freeze, ...) are tested
# nowhere else. See docs/cgroup-v2-guest.md.
#
#   bash tests/vm/cgroup2-guest.sh
#   BERTH_RUNTIME=build-vm/cmd/berth-runtime/berth-runtime bash tests/vm/cgroup2-guest.sh
#
# Knobs: BERTH_VM_KERNEL (a vmlinuz; default the newest /boot/vmlinuz-*),
# BERTH_VM_TIMEOUT (seconds for the guest, default 240), BERTH_VM_KEEP=1 (keep
# the temp dir). A missing prerequisite is a failure, never a skip.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

RUNTIME=${BERTH_RUNTIME:-$REPO/build/cmd/berth-runtime/berth-runtime}
GUEST_TIMEOUT=${BERTH_VM_TIMEOUT:-240}
# Number of "ok" lines the guest prints when everything passes (see the
# guest's /init below); fewer means a check did not run.
EXPECTED_PASS=51

die() { echo "vm.cgroup2-guest: FAIL: $*" >&2; exit 1; }

# --- prerequisites ----------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (the initramfs needs device nodes and root-owned files)"
[[ -x "$RUNTIME" ]] || die "BERTH_RUNTIME=$RUNTIME is not an executable (build berth-runtime first)"
QEMU=$(command -v qemu-system-x86_64 || true)
[[ -n "$QEMU" ]] || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86 (scripts/setup.sh does)"
for c in cpio python3 ldd timeout; do
  command -v "$c" >/dev/null || die "$c not found (apt-get install cpio python3; scripts/setup.sh does)"
done
BUSYBOX=${BUSYBOX:-/bin/busybox}
[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found: apt-get install busybox-static"
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not statically linked (install busybox-static)"; fi
MAKE_ROOTFS="$REPO/tests/fixtures/make-rootfs.sh"

if [[ -n "${BERTH_VM_KERNEL:-}" ]]; then
  KERNEL=$BERTH_VM_KERNEL
else
  KERNEL=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1 || true)
fi
[[ -n "$KERNEL" ]] ||
  die "no kernel in /boot: apt-get install linux-image-amd64 (scripts/setup.sh does), or set BERTH_VM_KERNEL"
[[ -r "$KERNEL" ]] || die "kernel $KERNEL is not readable"
KVER=${KERNEL##*/vmlinuz-}
KCONFIG=/boot/config-$KVER
[[ -r "$KCONFIG" ]] || die "kernel config $KCONFIG not found next to $KERNEL"
# Everything the guest needs is built in: it loads no module.
for opt in CGROUPS MEMCG CGROUP_PIDS CGROUP_SCHED FAIR_GROUP_SCHED CFS_BANDWIDTH BPF_SYSCALL CGROUP_BPF \
           NAMESPACES PID_NS NET_NS IPC_NS UTS_NS DEVTMPFS TMPFS BLK_DEV_INITRD SERIAL_8250_CONSOLE \
           BINFMT_ELF BINFMT_SCRIPT UNIX; do
  grep -qx "CONFIG_$opt=y" "$KCONFIG" || die "$KERNEL lacks CONFIG_$opt=y (see $KCONFIG)"
done

# --- the initramfs ----------------------------------------------------------
T=$(mktemp -d /tmp/berth-vm-cgroup2.XXXXXX)
cleanup() { [[ "${BERTH_VM_KEEP:-}" == 1 ]] && echo "kept $T" || rm -rf "$T"; }
trap cleanup EXIT
R=$T/root
mkdir -p "$R"/{bin,dev,proc,sys,run,tmp,newroot,b/run,b/life,b/zero}

cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
# berth-runtime without its debug info, and every library it loads (plus the loader).
if command -v strip >/dev/null; then strip --strip-debug -o "$R/bin/berth-runtime" "$RUNTIME"
else cp "$RUNTIME" "$R/bin/berth-runtime"; fi
libs=$(ldd "$RUNTIME" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}')
[[ -n "$libs" ]] || die "ldd found no libraries for $RUNTIME"
for lib in $libs; do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done

# One busybox rootfs for all three containers; the test programs sit in it under /t.
BUSYBOX=$BUSYBOX sh "$MAKE_ROOTFS" "$R/b/rootfs" >/dev/null || die "make-rootfs.sh failed"
mkdir -p "$R/b/rootfs/t"
cat > "$R/b/rootfs/t/facts.sh" <<'EOF'
#!/bin/sh
# Runs as the init of container "c-run"; prints KEY=VALUE facts for /init.
echo "CG=$(cat /proc/self/cgroup | tr '\n' ' ')"
echo "CGFS=$(grep ' /sys/fs/cgroup ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1)"
echo "MEMMAX=$(cat /sys/fs/cgroup/memory.max 2>&1)"
echo "PIDSMAX=$(cat /sys/fs/cgroup/pids.max 2>&1)"
echo "CPUMAX=$(cat /sys/fs/cgroup/cpu.max 2>&1)"
if echo x > /dev/null && head -c1 /dev/null; then echo "NULL=ok"; else echo "NULL=fail"; fi
echo "KMSG=$(head -c1 /dev/kmsg 2>&1 >/dev/null; echo " rc=$?")"
echo "ZERO=$(head -c4 /dev/zero 2>&1 | od -An -tx1 | tr -d ' \n')"
# Fork more sleepers than pids.max allows; ash gives up at the first failed fork.
# The sleepers get no stdout: they must not hold the runtime's pipe open.
( i=0; while [ $i -lt 40 ]; do sleep 60 >/dev/null 2>&1 & i=$((i+1)); echo "SPAWNED=$i"; done ) 2>&1
echo "PIDSEVENTS=$(cat /sys/fs/cgroup/pids.events 2>&1)"
echo "FACTS=done"
EOF

cat > "$R/b/rootfs/t/zero.sh" <<'EOF'
#!/bin/sh
# Runs as the init of container "c-zero", whose config denies /dev/zero.
echo "ZNULL=$(head -c1 /dev/null && echo ok)"
echo "ZERO=$(head -c4 /dev/zero 2>&1 >/dev/null; echo " rc=$?")"
EOF

(cd "$R/b/run" && "$RUNTIME" spec) || die "berth-runtime spec failed"
cp "$R/b/run/config.json" "$R/b/life/config.json"
cp "$R/b/run/config.json" "$R/b/zero/config.json"
python3 - "$R/b/run/config.json" "$R/b/life/config.json" "$R/b/zero/config.json" <<'EOF'
import json, sys
MiB = 1024 * 1024
def edit(path, args, pids, devices):
    c = json.load(open(path))
    c["root"]["path"] = "/b/rootfs"
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    c["mounts"].append({"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg",
                        "options": ["bind"]})
    lx = c["linux"]
    if not any(n["type"] == "cgroup" for n in lx["namespaces"]):
        lx["namespaces"].append({"type": "cgroup"})
    lx["resources"] = {
        "memory": {"limit": 64 * MiB},
        "pids": {"limit": pids},
        "cpu": {"quota": 50000, "period": 100000},
        "devices": devices,
    }
    json.dump(c, open(path, "w"), indent=1)
deny_all = {"allow": False, "access": "rwm"}
allow_all = {"allow": True, "access": "rwm"}
# c-run: deny by default (the spec's rule); /dev/kmsg is bound in but not allowed.
edit(sys.argv[1], ["/bin/sh", "/t/facts.sh"], 20, [deny_all])
# c-zero: plus a rule denying /dev/zero (c 1:5), one of the devices every container gets.
edit(sys.argv[3], ["/bin/sh", "/t/zero.sh"], 20,
     [deny_all, {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "rwm"}])
# life: allow by default, deny /dev/kmsg (c 1:11): the filter's deny-exception path.
edit(sys.argv[2], ["/bin/sleep", "1000"], 32,
     [allow_all, {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "rwm"}])
EOF

cat > "$R/init" <<'EOF'
#!/bin/sh
# Stage 1 (on the initramfs): pivot_root cannot leave rootfs, so copy
# everything to a tmpfs and switch_root into it.
export PATH=/bin
if [ ! -e /.stage2 ]; then
  /bin/busybox --install -s /bin
  mount -t devtmpfs devtmpfs /dev
  exec </dev/console >/dev/console 2>&1
  mount -t tmpfs -o size=512m,mode=755 tmpfs /newroot
  for d in /*; do
    case $d in /newroot|/dev|/proc|/sys) mkdir -p /newroot$d ;; *) cp -a $d /newroot/ ;; esac
  done
  touch /newroot/.stage2
  mount --move /dev /newroot/dev
  exec switch_root /newroot /init
fi

# Stage 2: a pure cgroup v2 host.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
echo "guest: kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo)"
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || echo "guest: cannot enable $c"
done
echo "guest: subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"

PASS=0; FAIL=0
ok()    { PASS=$((PASS+1)); echo "ok - $1"; }
notok() { FAIL=$((FAIL+1)); echo "not ok - $1${2:+: $2}"; }
# expect DESC ACTUAL EXPECTED
expect() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got '$2', want '$3'"; fi; }
# check DESC COMMAND...
check() { d=$1; shift; if "$@" >/tmp/check.out 2>&1; then ok "$d"; else notok "$d" "$(head -c 300 /tmp/check.out)"; fi; }
B() { timeout 60 /bin/berth-runtime "$@"; }
status() { B state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
fact() { sed -n "s/^$1=//p" /tmp/run.out | head -n1; }
CG=/sys/fs/cgroup/berth

expect "guest /sys/fs/cgroup is cgroup2 (statfs magic)" "$(stat -fc %t /sys/fs/cgroup)" "63677270"
expect "guest has no cgroup v1 hierarchy" "$(grep -c ' cgroup ' /proc/mounts)" "0"
sc=" $(cat /sys/fs/cgroup/cgroup.subtree_control) "
case "$sc" in *" cpu "*" memory "*" pids "*|*" memory "*" pids "*) ok "root subtree_control enables cpu, memory, pids";;
  *) notok "root subtree_control enables cpu, memory, pids" "$sc";; esac

# --- run: a container that prints facts and exits -------------------------
echo "guest: berth-runtime run c-run"
t0=$(date +%s)
B run --bundle /b/run c-run >/tmp/run.out 2>&1; rc=$?
sed 's/^/  | /' /tmp/run.out
expect "run c-run exits 0" "$rc" "0"
expect "container /proc/self/cgroup is 0::/ (cgroup namespace)" "$(fact CG)" "0::/ "
expect "container has cgroup2 mounted at /sys/fs/cgroup" "$(fact CGFS)" "cgroup2"
expect "container sees memory.max 64m at its cgroup root" "$(fact MEMMAX)" "67108864"
expect "container sees pids.max 20" "$(fact PIDSMAX)" "20"
expect "container sees cpu.max 50000 100000" "$(fact CPUMAX)" "50000 100000"
expect "device filter: /dev/null readable and writable" "$(fact NULL)" "ok"
case "$(fact KMSG)" in
  *"Operation not permitted"*) ok "device filter: /dev/kmsg (c 1:11, not allowed) fails with EPERM";;
  *) notok "device filter: /dev/kmsg (c 1:11, not allowed) fails with EPERM" "$(fact KMSG)";;
esac
expect "device filter: /dev/zero (allowed by default) readable" "$(fact ZERO)" "00000000"
spawned=$(sed -n 's/^SPAWNED=//p' /tmp/run.out | tail -n1)
forkerr=$(grep -m1 "can't fork" /tmp/run.out)
if [ -n "$spawned" ] && [ "$spawned" -lt 20 ] && [ "$spawned" -gt 5 ]; then
  case "$forkerr" in *"can't fork"*) ok "fork beyond pids.max fails ($spawned sleepers, then: $forkerr)";;
    *) notok "fork beyond pids.max fails" "spawned $spawned, error '$forkerr'";; esac
else
  notok "fork beyond pids.max fails" "spawned '${spawned}' of 40 with pids.max 20"
fi
case "$(fact PIDSEVENTS)" in "max "[1-9]*) ok "pids.events counts the refused forks ($(fact PIDSEVENTS))";;
  *) notok "pids.events counts the refused forks" "$(fact PIDSEVENTS)";; esac
check "run removed /sys/fs/cgroup/berth/c-run" test ! -e $CG/c-run
echo "guest: run took $(( $(date +%s) - t0 ))s"

# --- run: a config rule denying /dev/zero ------------------------------------
B run --bundle /b/zero c-zero >/tmp/zero.out 2>&1; rc=$?
sed 's/^/  | /' /tmp/zero.out
expect "run c-zero (config denies c 1:5 rwm) exits 0" "$rc" "0"
expect "device filter: /dev/null still works beside the /dev/zero rule" "$(sed -n 's/^ZNULL=//p' /tmp/zero.out)" "ok"
case "$(sed -n 's/^ZERO=//p' /tmp/zero.out)" in
  *"Operation not permitted"*) ok "device filter: /dev/zero denied by the config rule fails with EPERM";;
  *) notok "device filter: /dev/zero denied by the config rule fails with EPERM" "$(sed -n 's/^ZERO=//p' /tmp/zero.out)";;
esac
check "run removed /sys/fs/cgroup/berth/c-zero" test ! -e $CG/c-zero

# --- create/start/exec/pause/resume/update/events/kill/delete --------------
B create --bundle /b/life life >/tmp/create.out 2>&1; rc=$?
expect "create life exits 0" "$rc$(head -c 300 /tmp/create.out)" "0"
expect "state: created" "$(status life)" "created"
pid=$(B state life | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
if [ -n "$pid" ] && grep -qx "$pid" $CG/life/cgroup.procs 2>/dev/null; then
  ok "created init (pid $pid) is in $CG/life/cgroup.procs"
else
  notok "created init is in $CG/life/cgroup.procs" "pid '$pid', procs '$(cat $CG/life/cgroup.procs 2>&1 | tr '\n' ' ')'"
fi
expect "memory.max holds the limit" "$(cat $CG/life/memory.max 2>&1)" "67108864"
expect "pids.max holds the limit" "$(cat $CG/life/pids.max 2>&1)" "32"
expect "cpu.max holds quota and period" "$(cat $CG/life/cpu.max 2>&1)" "50000 100000"
check "start life" B start life
expect "state: running" "$(status life)" "running"
expect "exec: /proc/self/cgroup is 0::/" "$(B exec life cat /proc/self/cgroup 2>&1)" "0::/"
out=$(B exec life head -c1 /dev/kmsg 2>&1); rc=$?
case "$rc:$out" in [1-9]*"Operation not permitted"*) ok "exec: denied /dev/kmsg fails with EPERM";;
  *) notok "exec: denied /dev/kmsg fails with EPERM" "rc $rc: $out";; esac
expect "exec: /dev/zero readable (allowed by default)" "$(B exec life sh -c 'head -c2 /dev/zero | od -An -tx1' 2>&1 | tr -d ' ')" "0000"
expect "ps --format json lists the init" "$(B ps --format json life 2>&1)" "[$pid]"
check "exec -d a second process" B exec -d life sleep 300
expect "the exec'd process counts in pids.current" "$(cat $CG/life/pids.current 2>&1)" "2"
check "pause life" B pause life
expect "state: paused" "$(status life)" "paused"
expect "cgroup.freeze is 1" "$(cat $CG/life/cgroup.freeze 2>&1)" "1"
expect "cgroup.events says frozen 1" "$(sed -n 's/^frozen //p' $CG/life/cgroup.events 2>&1)" "1"
check "resume life" B resume life
expect "state: running after resume" "$(status life)" "running"
expect "cgroup.freeze is 0 after resume" "$(cat $CG/life/cgroup.freeze 2>&1)" "0"
check "update --memory 32m" B update --memory 32m life
expect "memory.max is 32m after update" "$(cat $CG/life/memory.max 2>&1)" "33554432"
check "update --pids-limit 64 --cpu-quota 20000" B update --pids-limit 64 --cpu-quota 20000 life
expect "pids.max and cpu.max after update" "$(cat $CG/life/pids.max) / $(cat $CG/life/cpu.max)" "64 / 20000 100000"
B events --stats life >/tmp/stats.out 2>&1
echo "  | $(head -c 600 /tmp/stats.out)..."
mem=$(sed -n 's/.*"memory":{.*"usage":{"failcnt":[0-9]*,"limit":\([0-9]*\),"max":[0-9]*,"usage":\([0-9]*\)}.*/\1 \2/p' /tmp/stats.out)
cur=$(cat $CG/life/memory.current 2>/dev/null)
set -- $mem
if [ "${1:-}" = 33554432 ] && [ "${2:-0}" -gt 0 ] && grep -q '"anon":' /tmp/stats.out && grep -q '"pids":{"current":2,"limit":64}' /tmp/stats.out; then
  ok "events --stats: memory usage $2 (memory.current $cur), limit 32m, v2 memory.stat keys, pids 2/64"
else
  notok "events --stats shows v2 memory usage" "limit/usage '$mem', memory.current $cur"
fi
check "kill life KILL" B kill life KILL
n=0; while [ "$(status life)" != stopped ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n+1)); done
expect "state: stopped after kill" "$(status life)" "stopped"
check "delete life" B delete life
check "delete removed /sys/fs/cgroup/berth/life" test ! -e $CG/life
check "delete removed the berth parent cgroup it made" test ! -e $CG
if B state life >/dev/null 2>&1; then notok "state fails after delete"; else ok "state fails after delete"; fi

echo "RESULT: $PASS passed, $FAIL failed"
sync
poweroff -f
sleep 10
EOF
chmod 755 "$R/init" "$R/b/rootfs/t/facts.sh" "$R/b/rootfs/t/zero.sh"

(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet) > "$T/initrd.cpio" || die "cpio failed"
echo "vm.cgroup2-guest: initramfs $(( $(stat -c %s "$T/initrd.cpio") / 1024 )) KiB, kernel $KERNEL"

# --- boot -------------------------------------------------------------------
start=$(date +%s)
set +e
timeout --kill-after=10 "$GUEST_TIMEOUT" "$QEMU" -nographic -no-reboot -m 1024 -smp 2 \
  -accel tcg -cpu max -nic none -kernel "$KERNEL" -initrd "$T/initrd.cpio" \
  -append "console=ttyS0 quiet panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" \
  </dev/null 2>&1 | tr -d '\r' | sed -u -e $'s/\e\\[[0-9;?]*[A-Za-z]//g' -e $'s/\ec//g' | tee "$T/console.log"
qrc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))
echo "vm.cgroup2-guest: qemu exited $qrc after ${elapsed}s (boot + test)"

[[ $qrc -ne 124 && $qrc -ne 137 ]] || die "the guest did not finish within ${GUEST_TIMEOUT}s"
result=$(grep -E '^RESULT: [0-9]+ passed, [0-9]+ failed$' "$T/console.log" | tail -n1 || true)
[[ -n "$result" ]] || die "the guest printed no RESULT line (qemu exit $qrc)"
passed=$(sed -E 's/^RESULT: ([0-9]+) passed.*/\1/' <<<"$result")
failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$result")
((failed == 0)) || die "$failed check(s) failed in the guest (see 'not ok' above)"
((passed >= EXPECTED_PASS)) || die "only $passed checks passed, $EXPECTED_PASS expected: some did not run"
echo "vm.cgroup2-guest: $passed passed, 0 failed"
