#!/usr/bin/env bash
# bench/run-vm-bench.sh: a microVM container (--runtime berth-vm) beside a
# namespace container (--runtime berth) in the same run, against a running
# berthd (DOCKER_HOST) that has the busybox image and --vm-kernel/--vm-initrd:
#   - to the first output: docker run ... echo, from the client's start to the
#     first byte back (the process's first instructions run just before)
#   - `docker run --rm busybox /bin/true` end to end
#   - host memory of one idle container: PSS of its processes (berth-shim;
#     for a VM also berth-vm-runner, qemu and each virtiofsd), from smaps_rollup
# Prints one table with ratios. Not a test: run by hand.
#
#   DOCKER_HOST=unix:///path/berth.sock ROUNDS=5 bash bench/run-vm-bench.sh
set -euo pipefail
ROUNDS=${ROUNDS:-5}
IMAGE=${IMAGE:-busybox:latest}
DOCKER=${DOCKER:-/usr/local/bin/docker}
export DOCKER

python3 - "$ROUNDS" "$IMAGE" <<'PY'
import os, subprocess, sys, time, statistics, json
rounds, image = int(sys.argv[1]), sys.argv[2]
docker = os.environ["DOCKER"]

def first_output_and_total(runtime, args):
    t0 = time.monotonic()
    p = subprocess.Popen([docker, "run", "--rm", "--pull", "never", "--runtime", runtime, image] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.read(1)
    t1 = time.monotonic()
    p.communicate()
    t2 = time.monotonic()
    if p.returncode != 0 or (args[0] == "echo" and first != b"x"):
        sys.exit(f"docker run --runtime {runtime} failed ({p.returncode})")
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

def children(pid):
    out = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            out = [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out

def idle_memory(runtime):
    cid = subprocess.run([docker, "run", "-d", "--pull", "never", "--runtime", runtime, image, "sleep", "1000"],
                         check=True, capture_output=True, text=True).stdout.strip()
    try:
        # Settled: the process runs (its output would say so; sleep prints nothing, so wait for Running + 2 s).
        subprocess.run([docker, "exec", cid, "true"], check=True, capture_output=True)
        info = json.loads(subprocess.run([docker, "inspect", cid], check=True, capture_output=True, text=True).stdout)[0]
        pid = info["State"]["Pid"]  # namespaces: the container's process; VM: berth-vm-runner
        shim = int(open(f"/proc/{pid}/stat").read().split(")")[1].split()[1])
        parts = {"berth-shim": pss_kib(shim)}
        if runtime == "berth":
            parts["container"] = pss_kib(pid)
        else:
            parts["berth-vm-runner"] = pss_kib(pid)
            for c in children(pid):
                name = open(f"/proc/{c}/comm").read().strip()
                parts[name] = parts.get(name, 0) + pss_kib(c)
        return parts
    finally:
        subprocess.run([docker, "rm", "-f", cid], capture_output=True)

rows = {}
for runtime in ("berth", "berth-vm"):
    firsts, totals = [], []
    for _ in range(rounds):
        f, _t = first_output_and_total(runtime, ["echo", "x"])
        firsts.append(f)
        _f, t = first_output_and_total(runtime, ["/bin/true"])
        totals.append(t)
    rows[runtime] = (statistics.median(firsts), statistics.median(totals), idle_memory(runtime))

print(f"rounds: {rounds}, medians")
print(f"{'':34} {'berth (namespaces)':>20} {'berth-vm (microVM)':>20} {'ratio':>8}")
a, b = rows["berth"], rows["berth-vm"]
print(f"{'run to first output (s)':34} {a[0]:20.3f} {b[0]:20.3f} {b[0]/a[0]:8.1f}")
print(f"{'run --rm /bin/true end to end (s)':34} {a[1]:20.3f} {b[1]:20.3f} {b[1]/a[1]:8.1f}")
ma, mb = sum(a[2].values()) / 1024, sum(b[2].values()) / 1024
print(f"{'host PSS of an idle container (MiB)':34} {ma:20.1f} {mb:20.1f} {mb/ma:8.1f}")
print("  namespaces:", ", ".join(f"{k} {v/1024:.1f}" for k, v in a[2].items()))
print("  microVM:   ", ", ".join(f"{k} {v/1024:.1f}" for k, v in b[2].items()))
PY
