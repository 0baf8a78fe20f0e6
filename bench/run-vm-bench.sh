#!/usr/bin/env bash
# bench/run-vm-bench.sh: a microVM container (--runtime berth-vm) beside a
# namespace container (--runtime berth) in the same run, against a running
# berthd (DOCKER_HOST) that has the busybox image and --vm-kernel/--vm-initrd:
#   - to the first output: docker run ... echo, from the client's start to the
#     first byte back (the process's first instructions run just before)
#   - `docker run --rm busybox /bin/true` end to end
#   - host memory of one idle container: PSS of its processes (berth-shim;
#     for a VM also berth-vm-runner, qemu and each virtiofsd), from smaps_rollup,
#     once the process runs and again IDLE_WAIT s later (default 30): a guest
#     hands the pages it freed back over those seconds (free page reporting)
# With POOL_DIR (berthd's <exec-root>/vm-pool, berthd started with --vm-pool 1
# or more) a third column: the same on a pooled VM (docs/vm.md "The pool").
# The cold VM then asks for --memory 129m (one MiB more than the pool's
# 128 MiB default, so the pool cannot serve it); before every measured run
# the script waits for the pool to be full again, so that no background boot
# competes with it, and a pooled run counts only when it took the idle VM.
# Prints one table with ratios. Not a test: run by hand.
#
#   DOCKER_HOST=unix:///path/berth.sock ROUNDS=5 [POOL_DIR=/exec-root/vm-pool] [IDLE_WAIT=30] bash bench/run-vm-bench.sh
set -euo pipefail
ROUNDS=${ROUNDS:-5}
IMAGE=${IMAGE:-busybox:latest}
DOCKER=${DOCKER:-/usr/local/bin/docker}
POOL_DIR=${POOL_DIR:-}
IDLE_WAIT=${IDLE_WAIT:-30}
export DOCKER POOL_DIR IDLE_WAIT

python3 - "$ROUNDS" "$IMAGE" <<'PY'
import glob, os, subprocess, sys, time, statistics, json
rounds, image = int(sys.argv[1]), sys.argv[2]
docker = os.environ["DOCKER"]
pool_dir = os.environ.get("POOL_DIR", "")
idle_wait = float(os.environ.get("IDLE_WAIT", "30"))
qemu_kinds = {}  # runtime label -> (QEMU's PSS by kind, other QEMUs on the host) at the last measurement

def idle_vms():
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(pool_dir, "*", "adopt.sock"))) if pool_dir else []

def pool_full():
    # Bounded: a TCG boot takes seconds.
    deadline = time.monotonic() + 180
    while pool_dir and not idle_vms():
        if time.monotonic() > deadline:
            sys.exit("the pool did not refill within 180 s")
        time.sleep(0.1)

# (label, --runtime, extra run flags, pooled?)
KINDS = [("berth", "berth", [], False), ("berth-vm", "berth-vm", ["--memory", "129m"] if pool_dir else [], False)]
if pool_dir:
    KINDS.append(("berth-vm pooled", "berth-vm", [], True))

def first_output_and_total(kind, args):
    label, runtime, extra, pooled = kind
    pool_full()
    before = idle_vms()
    t0 = time.monotonic()
    p = subprocess.Popen([docker, "run", "--rm", "--pull", "never", "--runtime", runtime] + extra + [image] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.read(1)
    t1 = time.monotonic()
    p.communicate()
    t2 = time.monotonic()
    if p.returncode != 0 or (args[0] == "echo" and first != b"x"):
        sys.exit(f"docker run --runtime {runtime} failed ({p.returncode})")
    if pooled and before and os.path.exists(os.path.join(before[0], "adopt.sock")):
        sys.exit("a pooled run did not take the idle VM")
    if not pooled and pool_dir and before and not os.path.exists(os.path.join(before[0], "adopt.sock")):
        sys.exit(f"a {label} run took the pooled VM")
    return t1 - t0, t2 - t0

def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0

def qemu_parts(pid):
    # QEMU's PSS by kind (KiB): the guest's RAM (the memfd), anonymous memory
    # (TCG's cache, heap), the guest image files it maps (kernel, initramfs)
    # and its own code and libraries, whose PSS divides among all QEMUs.
    kinds = {"guest RAM": 0, "anon": 0, "image files": 0, "code": 0}
    kind = "anon"
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split()
                if head and "-" in head[0] and not head[0].endswith(":"):
                    path = head[5] if len(head) > 5 else ""
                    if path.startswith("/memfd:"):
                        kind = "guest RAM"
                    elif path.startswith(("/usr/", "/lib")):
                        kind = "code"
                    elif path.startswith("/"):
                        kind = "image files"
                    else:
                        kind = "anon"
                elif head and head[0] == "Pss:":
                    kinds[kind] += int(head[1])
    except OSError:
        pass
    return kinds

def other_qemus(mine):
    out = 0
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) not in mine:
            try:
                if open(f"/proc/{d}/comm").read().startswith("qemu-system"):
                    out += 1
            except OSError:
                pass
    return out

def children(pid):
    out = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            out = [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out

def measure(runtime, pid, info, pooled):
    shim = int(open(f"/proc/{pid}/stat").read().split(")")[1].split()[1])
    parts = {"berth-shim": pss_kib(shim)}
    if runtime == "berth":
        parts["container"] = pss_kib(pid)
        return parts
    parts["berth-vm-runner"] = pss_kib(pid)
    vm_procs = children(pid)
    if pooled:
        # The VM is its keeper's: QEMU's parent, with the virtiofsd.
        qemu = int(info["State"]["RuntimeDetails"]["VMQemuPid"])
        keeper = int(open(f"/proc/{qemu}/stat").read().split(")")[1].split()[1])
        parts["keeper"] = pss_kib(keeper)
        vm_procs = children(keeper)
    for c in vm_procs:
        name = open(f"/proc/{c}/comm").read().strip()
        parts[name] = parts.get(name, 0) + pss_kib(c)
        if name.startswith("qemu-system"):
            qemu_kinds[runtime + (" pooled" if pooled else "")] = (qemu_parts(c), other_qemus({c}))
    return parts

def idle_memory(kind):
    # (just started, after IDLE_WAIT s idle): a guest hands the pages it freed
    # back to the host over the next seconds (free page reporting, docs/vm.md).
    label, runtime, extra, pooled = kind
    pool_full()
    cid = subprocess.run([docker, "run", "-d", "--pull", "never", "--runtime", runtime] + extra + [image, "sleep", "1000"],
                         check=True, capture_output=True, text=True).stdout.strip()
    try:
        # The process runs once an exec has run beside it.
        subprocess.run([docker, "exec", cid, "true"], check=True, capture_output=True)
        info = json.loads(subprocess.run([docker, "inspect", cid], check=True, capture_output=True, text=True).stdout)[0]
        pid = info["State"]["Pid"]  # namespaces: the container's process; VM: berth-vm-runner
        started = measure(runtime, pid, info, pooled)
        time.sleep(idle_wait)
        return started, measure(runtime, pid, info, pooled)
    finally:
        subprocess.run([docker, "rm", "-f", cid], capture_output=True)

rows = {}
for kind in KINDS:
    firsts, totals = [], []
    for _ in range(rounds):
        f, _t = first_output_and_total(kind, ["echo", "x"])
        firsts.append(f)
        _f, t = first_output_and_total(kind, ["/bin/true"])
        totals.append(t)
    rows[kind[0]] = (statistics.median(firsts), statistics.median(totals), idle_memory(kind))

print(f"rounds: {rounds}, medians")
names = [k[0] for k in KINDS]
heads = {"berth": "berth (namespaces)", "berth-vm": "berth-vm cold", "berth-vm pooled": "berth-vm pooled"}
ratio_heads = ["cold/ns"] + (["pooled/ns", "cold/pooled"] if pool_dir else [])
print(f"{'':46}" + "".join(f"{heads[n]:>20}" for n in names) + "".join(f"{h:>12}" for h in ratio_heads))
def line(label, values):
    ns, cold = values[0], values[1]
    out = f"{label:46}" + "".join(f"{v:20.3f}" for v in values) + f"{cold/ns:12.1f}"
    if pool_dir:
        pooled = values[2]
        out += f"{pooled/ns:12.1f}{cold/pooled:12.1f}"
    print(out)
line("run to first output (s)", [rows[n][0] for n in names])
line("run --rm /bin/true end to end (s)", [rows[n][1] for n in names])
line("host PSS of an idle container, started (MiB)", [sum(rows[n][2][0].values()) / 1024 for n in names])
line(f"host PSS of an idle container, {idle_wait:g} s on (MiB)", [sum(rows[n][2][1].values()) / 1024 for n in names])
for n in names:
    print(f"  {heads[n]}, {idle_wait:g} s on:", ", ".join(f"{k} {v/1024:.1f}" for k, v in rows[n][2][1].items()))
for n, (kinds, others) in qemu_kinds.items():
    print(f"  QEMU of {heads[n]}, {idle_wait:g} s on:", ", ".join(f"{k} {v/1024:.1f}" for k, v in kinds.items()),
          f"(other QEMUs on the host: {others}; the pool's idle VM is one: code and image files divide among them)")
PY
