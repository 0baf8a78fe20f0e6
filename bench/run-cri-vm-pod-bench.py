#!/usr/bin/env python3
"""run-cri-vm-pod-bench.py: a pod in one microVM (CRI handler "vm") beside the same pod
as namespaces (the default handler), one berthd, the same CRI client
(tests/e2e/lib/cri_client.py), interleaved rounds. A benchmark, not a test.

    bench/run-cri-vm-pod-bench.py            (as root; N=10 rounds, ~1 min under TCG)
    N=3 bench/run-cri-vm-pod-bench.py

Per round and handler: RunPodSandbox; CreateContainer+StartContainer of two busybox
containers (`sleep`); ExecSync `true` in one; StopPodSandbox+RemovePodSandbox (medians).
Then, with one pod of each kind running its two containers, the host memory of the
pod's own processes (PSS from /proc/PID/smaps_rollup): the namespace pod's two
berth-shim monitors and its containers' processes; the VM pod's keeper, QEMU,
virtiofsd, and its two shims and runners. Accelerator: E2E_VM_ACCEL (default tcg).
CNI: bridge bvpod0, 10.231.0.0/24 (Debian's plugins). BERTHD: the berthd to run
(default <repo>/build).
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "lib"))
import cri_vm_pod as t  # noqa: E402 - the e2e test's set-up (daemon, CNI, guest image)

pb = t.pb
N = int(os.environ.get("N", "10"))


def ms(f):
    t0 = time.monotonic()
    r = f()
    return (time.monotonic() - t0) * 1000, r


def pod_config(name, handler):
    logs = os.path.join(t.D.tmp, "pod-logs", name)
    os.makedirs(logs, exist_ok=True)
    ns = pb.NamespaceOption(pid=pb.CONTAINER)
    return pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=name, uid=f"uid-{name}", namespace="bench"),
                               hostname=name, log_directory=logs,
                               linux=pb.LinuxPodSandboxConfig(
                                   cgroup_parent=f"/{t.D.cg}/pod-{name}",
                                   security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))


def one_pod(name, handler, keep=False):
    cri = t.cri
    cfg = pod_config(name, handler)
    run, pod = ms(lambda: cri.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=handler),
                                              timeout=180).pod_sandbox_id)

    def start_two():
        ids = []
        for c in ("a", "b"):
            cc = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=c), image=pb.ImageSpec(image=t.IMAGE),
                                    command=["sleep", "1000"], log_path=f"{c}.log")
            cid = cri.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod, config=cc, sandbox_config=cfg),
                                         timeout=60).container_id
            cri.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=120)
            ids.append(cid)
        return ids

    start, ids = ms(start_two)
    ex, r = ms(lambda: cri.rt.ExecSync(pb.ExecSyncRequest(container_id=ids[0], cmd=["true"], timeout=60), timeout=90))
    assert r.exit_code == 0, r.stderr
    if keep:
        return pod, ids

    def stop():
        cri.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=120)
        cri.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=120)

    down, _ = ms(stop)
    return {"run": run, "start2": start, "exec": ex, "down": down}


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cmd(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pod_memory(pod, ids):
    """PSS (KiB) of the pod's own processes: its containers' shims (and what runs under
    them: the containers' processes, or the runners), and a VM pod's keeper with its QEMU
    and virtiofsd."""
    pids = set()
    for p in os.listdir("/proc"):
        if p.isdigit() and "berth-shim" in cmd(p) and any(c in cmd(p) for c in ids):
            pids.update(descendants(int(p)))
        if p.isdigit() and "--pod-vm" in cmd(p) and pod in cmd(p):
            pids.update(descendants(int(p)))
    return sum(pss_kib(p) for p in pids), len(pids)


def main():
    t.setUpModule()
    try:
        res = {"": [], "vm": []}
        one_pod("warm-ns", "")
        one_pod("warm-vm", "vm")
        for i in range(N):
            for h in ("", "vm"):
                res[h].append(one_pod(f"p{i}-{h or 'ns'}", h))
        print(f"# {N} rounds, accel {os.environ.get('E2E_VM_ACCEL', 'tcg')}, medians in ms")
        print("| step | namespace pod | VM pod | ratio |")
        print("|---|---:|---:|---:|")
        for k, what in (("run", "RunPodSandbox"), ("start2", "Create+Start 2 containers"),
                        ("exec", "ExecSync `true`"), ("down", "StopPodSandbox+RemovePodSandbox")):
            a = statistics.median(r[k] for r in res[""])
            b = statistics.median(r[k] for r in res["vm"])
            print(f"| {what} | {a:.0f} | {b:.0f} | {b / a:.1f}x |")
        ns_pod, ns_ids = one_pod("mem-ns", "", keep=True)
        vm_pod, vm_ids = one_pod("mem-vm", "vm", keep=True)
        time.sleep(2)  # settle: the guest's boot-time pages are touched by now
        a, na = pod_memory(ns_pod, ns_ids)
        b, nb = pod_memory(vm_pod, vm_ids)
        print(f"| host memory of the pod's processes (PSS) | {a / 1024:.1f} MiB ({na} procs) | "
              f"{b / 1024:.1f} MiB ({nb} procs) | {b / max(a, 1):.1f}x |")
        for p in (ns_pod, vm_pod):
            t.cri.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=p), timeout=120)
            t.cri.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=p), timeout=120)
    finally:
        t.tearDownModule()


if __name__ == "__main__":
    main()
