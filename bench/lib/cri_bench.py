#!/usr/bin/python3
"""The CRI bench's driver (bench/run-cri-bench.sh starts the daemons and the registry):
the same CRI client (tests/e2e/lib/cri_client.py, from proto/runtime/v1/api.proto)
drives each runtime's CRI socket.

    cri_bench.py --image REF --n N --pods 20 --logs DIR
                 --runtime NAME=SOCKET,DAEMON_PID,CGROUP_PARENT,SHIM_COMM,PAUSE,SHIM_MARK ...
                 [--cni-floor CONFLIST,BIN_DIR,WORK_DIR]

A runtime's shims are the processes named SHIM_COMM whose command line holds SHIM_MARK (its
temp root: other runs' shims on the machine are not counted); its pause processes are those
matching PAUSE (a command line, or "comm:NAME") inside its CGROUP_PARENT.

Per round (interleaved: each runtime once, the first rotating) on a new pod:
  run      RunPodSandbox
  start    CreateContainer + StartContainer (busybox `sleep 3600`)
  remove   StopPodSandbox + RemovePodSandbox
With --cni-floor, each round also runs that network list's plugins directly (lib/cni_floor.py:
ADD through the list on a new netns first, its DEL in reverse last): the CNI plugins' own time, which every
runtime's RunPodSandbox and StopPodSandbox contain, measured under the same load.
Pods ask for a PID namespace per container, as the kubelet does without shareProcessNamespace.
Then PODS pods with one container each started concurrently (one thread per pod; wall time),
the daemon's RSS and its per-pod processes' (shims, pause) RSS summed, then removed.
Prints a markdown table; results lines "key<TAB>ms" go to --results when given.
"""
import argparse
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e", "lib"))
from cri_client import CriClient, pb  # noqa: E402
from cni_floor import PluginChain  # noqa: E402


class Runtime:
    def __init__(self, spec):
        name, rest = spec.split("=", 1)
        sock, pid, cg, shim, pause, self.mark = rest.split(",")
        self.name, self.pid, self.cgroup, self.shim_comm, self.pause_cmd = name, int(pid), cg, shim, pause
        self.cli = CriClient(sock)
        self.seq = 0


def pod_config(rt, logs, tag):
    rt.seq += 1
    name = f"{tag}-{rt.seq}"
    uid = f"{rt.name}-{tag}-{rt.seq}-{os.getpid()}"
    d = os.path.join(logs, rt.name, name)
    os.makedirs(d, exist_ok=True)
    # As the kubelet sends a pod without shareProcessNamespace: a PID namespace per container.
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="bench", attempt=0),
        hostname=name, log_directory=d,
        linux=pb.LinuxPodSandboxConfig(cgroup_parent=f"{rt.cgroup}/pod{uid}", security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(pid=pb.CONTAINER))))


def container_config(image):
    return pb.ContainerConfig(metadata=pb.ContainerMetadata(name="sleeper"), image=pb.ImageSpec(image=image),
                              command=["sleep", "3600"], log_path="sleeper.log",
                              linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                                  namespace_options=pb.NamespaceOption(pid=pb.CONTAINER))))


def run_pod(rt, cfg):
    return rt.cli.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg)).pod_sandbox_id


def start_container(rt, pod, cfg, image):
    cid = rt.cli.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod, config=container_config(image),
                                                              sandbox_config=cfg)).container_id
    rt.cli.rt.StartContainer(pb.StartContainerRequest(container_id=cid))
    return cid


def remove_pod(rt, pod):
    rt.cli.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod))
    rt.cli.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod))


def timed(f, *a):
    t = time.perf_counter()
    r = f(*a)
    return r, (time.perf_counter() - t) * 1000


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def daemon_memory(pid):
    """KiB from /proc/PID/smaps_rollup: rss, pss, private (Private_Clean + Private_Dirty: pages no
    other process maps, what the daemon alone costs the node), anon (Anonymous)."""
    m = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if v.strip().endswith("kB"):
                    m[k] = int(v.split()[0])
    except OSError:
        pass
    return {"rss": m.get("Rss", 0), "pss": m.get("Pss", 0),
            "private": m.get("Private_Clean", 0) + m.get("Private_Dirty", 0), "anon": m.get("Anonymous", 0)}


def cpu_ms(pid):
    """(own, children's) CPU time in ms from /proc/PID/stat: utime+stime, and cutime+cstime
    of the children it has waited for (CNI plugins, runtime processes; not daemonized shims)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    ut, st, cut, cst = (int(x) for x in fields[11:15])
    return (ut + st) * 1000 / tick, (cut + cst) * 1000 / tick


def save_smaps(pid, path):
    try:
        with open(f"/proc/{pid}/smaps") as f, open(path, "w") as out:
            out.write(f.read())
    except OSError:
        pass


def per_pod_processes(rt):
    """(shims' RSS, pause processes' RSS, counts) in KiB: shims by comm; pause by cmdline, or by
    comm when given as "comm:NAME" (berth's PID-namespace holder, berth-init --hold)."""
    shim = pause = ns = np_ = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if comm == rt.shim_comm[:15] and rt.mark in cmd:
            shim += rss_kb(p)
            ns += 1
        elif rt.pause_cmd and (comm == rt.pause_cmd[5:20] if rt.pause_cmd.startswith("comm:") else cmd == rt.pause_cmd):
            try:
                with open(f"/proc/{p}/cgroup") as f:
                    mine = rt.cgroup in f.read()
            except OSError:
                mine = False
            if mine:
                pause += rss_kb(p)
                np_ += 1
    return shim, pause, ns, np_


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--pods", type=int, default=20)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--results")
    ap.add_argument("--runtime", action="append", required=True)
    ap.add_argument("--cni-floor")
    ap.add_argument("--smaps-dir", help="keeps each daemon's /proc/PID/smaps idle and with the pods")
    a = ap.parse_args()
    rts = [Runtime(s) for s in a.runtime]
    floor = PluginChain(*a.cni_floor.split(",")) if a.cni_floor else None
    for rt in rts:  # the image is pulled once, untimed
        rt.cli.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=a.image)))
    idle = {}
    for rt in rts:  # after the pull, before any pod
        idle[rt.name] = daemon_memory(rt.pid)
        if a.smaps_dir:
            save_smaps(rt.pid, os.path.join(a.smaps_dir, f"{rt.name}-idle.smaps"))
    vals = {}
    for i in range(a.warmup + a.n):
        order = rts[i % len(rts):] + rts[:i % len(rts)]
        if floor:  # ADD first and DEL last: the runtimes' pods live in between
            order = ["floor-add"] + order + ["floor-del"]
        for rt in order:
            if isinstance(rt, str):
                if rt == "floor-add":
                    out, attachment = floor.add()
                else:
                    out = floor.delete(attachment)
                for k, v in out.items():
                    if i >= a.warmup:
                        vals.setdefault((k, "plugins"), []).append(v)
                continue
            cfg = pod_config(rt, a.logs, "seq")
            pod, t_run = timed(run_pod, rt, cfg)
            _, t_start = timed(start_container, rt, pod, cfg, a.image)
            _, t_rm = timed(remove_pod, rt, pod)
            if i >= a.warmup:
                for k, v in (("run", t_run), ("start", t_start), ("remove", t_rm)):
                    vals.setdefault((k, rt.name), []).append(v)
        print(f"# round {i + 1}/{a.warmup + a.n}", file=sys.stderr)

    mem, cpu = {}, {}
    for rt in rts:  # one runtime at a time: the other's pods do not share the cores
        pods, errors = [None] * a.pods, []

        def one(k, rt=rt):
            try:
                cfg = pod_config(rt, a.logs, "conc")
                pid = run_pod(rt, cfg)
                pods[k] = pid
                start_container(rt, pid, cfg, a.image)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=one, args=(k,)) for k in range(a.pods)]
        cpu0 = cpu_ms(rt.pid)
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = (time.perf_counter() - t) * 1000
        cpu1 = cpu_ms(rt.pid)
        cpu[rt.name] = (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])
        if errors:
            raise SystemExit(f"{rt.name}: {len(errors)} of {a.pods} concurrent pods failed: {errors[0]}")
        vals[("concurrent", rt.name)] = [wall]
        shim, pause, ns, np_ = per_pod_processes(rt)
        mem[rt.name] = (rss_kb(rt.pid), shim, pause, ns, np_, daemon_memory(rt.pid))
        if a.smaps_dir:
            save_smaps(rt.pid, os.path.join(a.smaps_dir, f"{rt.name}-{a.pods}pods.smaps"))
        for p in pods:
            remove_pod(rt, p)

    if floor:  # the plugins alone for as many pods at once: ADDs timed together, then DELs
        where = [floor.new_netns() for _ in range(a.pods)]
        attached = [None] * a.pods

        def add_one(k):
            attached[k] = floor.add(where[k])[1]
        threads = [threading.Thread(target=add_one, args=(k,)) for k in range(a.pods)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        vals[("concurrent", "plugins")] = [(time.perf_counter() - t) * 1000]
        for att in attached:
            if att:
                floor.delete(att)
        if None in attached:
            raise SystemExit("the CNI plugins alone: an ADD of the concurrent ones failed")

    if a.results:
        with open(a.results, "w") as f:
            for (k, n), vs in vals.items():
                for v in vs:
                    f.write(f"{k}/{n}\t{v:.3f}\n")
    b, c = rts[0].name, rts[1].name
    floor_of = {"run": "ADD", "remove": "DEL", "concurrent": "concurrent"} if floor else {}
    fl = " CNI plugins alone |" if floor else ""
    print(f"| measure | {b} | {c} |{fl} {b}/{c} | {c} ÷ {b} |" + (f" {c} ÷ plugins alone |" if floor else ""))
    print("|---|---:|---:|---:|---:|" + ("---:|---:|" if floor else ""))
    titles = {"run": "RunPodSandbox (median ms)", "start": "CreateContainer + StartContainer (median ms)",
              "remove": "StopPodSandbox + RemovePodSandbox (median ms)",
              "concurrent": f"{a.pods} pods (+1 container each) started concurrently (wall ms)"}
    for k in ("run", "start", "remove", "concurrent"):
        mb, mc = statistics.median(vals[(k, b)]), statistics.median(vals[(k, c)])
        n = f", n={len(vals[(k, b)])}" if k != "concurrent" else ""
        if k in floor_of:
            mf = statistics.median(vals[(floor_of[k], "plugins")])
            label = {"concurrent": f"{a.pods} ADDs at once"}.get(k, floor_of[k])
            print(f"| {titles[k]}{n} | {mb:.1f} | {mc:.1f} | {mf:.1f} ({label}) | {mb / mc:.2f} | **{mc / mb:.1f}x** | "
                  f"{mc / mf:.1f}x |")
        else:
            print(f"| {titles[k]}{n} | {mb:.1f} | {mc:.1f} |{' |' if floor else ''} {mb / mc:.2f} | **{mc / mb:.1f}x** |"
                  + (" |" if floor else ""))
    db, dc = mem[b], mem[c]
    gap = " |" if floor else ""
    print(f"| daemon RSS with {a.pods} pods (MiB) | {db[0] / 1024:.1f} | {dc[0] / 1024:.1f} |{gap} {db[0] / dc[0]:.2f} | "
          f"**{dc[0] / db[0]:.1f}x** |")
    for key, what in (("pss", "PSS (shared pages split among their users)"),
                      ("private", "private memory (mapped by no other process)"),
                      ("anon", "anonymous memory (heap, stacks)")):
        vb, vc = db[5][key], dc[5][key]
        print(f"| daemon {what} with {a.pods} pods (MiB) | {vb / 1024:.1f} | {vc / 1024:.1f} |{gap} "
              f"{vb / vc if vc else float('nan'):.2f} | **{vc / vb if vb else float('nan'):.1f}x** |")
    for key, what in (("rss", "RSS"), ("private", "private memory")):
        vb, vc = idle[b][key], idle[c][key]
        print(f"| daemon {what} idle, image pulled (MiB) | {vb / 1024:.1f} | {vc / 1024:.1f} |{gap} "
              f"{vb / vc if vc else float('nan'):.2f} | {vc / vb if vb else float('nan'):.1f}x |")
    print(f"| shims' total RSS (MiB; {b}: {db[3]} processes, {c}: {dc[3]}) | {db[1] / 1024:.1f} | {dc[1] / 1024:.1f} |{gap} "
          f"{(db[1] / dc[1]) if dc[1] else float('nan'):.2f} | {(dc[1] / db[1]) if db[1] else float('nan'):.1f}x |")
    print(f"| pause processes' total RSS (MiB; {b}: {db[4]}, {c}: {dc[4]}) | {db[2] / 1024:.1f} | {dc[2] / 1024:.1f} |{gap} | |")
    tb, tc = sum(db[:3]), sum(dc[:3])
    print(f"| daemon + shims + pause (RSS, MiB) | {tb / 1024:.1f} | {tc / 1024:.1f} |{gap} {tb / tc:.2f} | **{tc / tb:.1f}x** |")
    print(f"| CPU time during the {a.pods}-pod start: the daemon's own (ms) | {cpu[b][0]:.0f} | {cpu[c][0]:.0f} |{gap} "
          f"{cpu[b][0] / cpu[c][0] if cpu[c][0] else float('nan'):.2f} | | ")
    print(f"| the same: children it waited for, CNI plugins and runtime processes (ms) | {cpu[b][1]:.0f} | "
          f"{cpu[c][1]:.0f} |{gap} | | ")
    if floor:
        steps = [k for (k, n) in vals if n == "plugins" and k != "concurrent"]
        print()
        print("CNI plugins alone, median ms: " + ", ".join(
            f"{k} {statistics.median(vals[(k, 'plugins')]):.1f}" for k in steps) + ".")


if __name__ == "__main__":
    main()
