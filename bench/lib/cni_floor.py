#!/usr/bin/python3
"""The floor under RunPodSandbox and StopPodSandbox: a CNI network list's plugins run directly,
ADD through the list and DEL in reverse, as any runtime runs them, with nothing else around.
cri_bench.py runs its ADD at the start of each round and its DEL at the end (some time passes
between them, as between a pod's RunPodSandbox and StopPodSandbox); alone:

    cni_floor.py --conflist FILE --bin-dir DIR --work DIR [--n 10] [--warmup 1]

Per round a new network namespace is held at a file under --work (`unshare --net=FILE true`,
not timed), each plugin gets the stdin a runtime gives it (the list's name and cniVersion, the
previous plugin's result as prevResult, the same CNI_ARGS a pod's ADD has) and is timed from
spawn to exit; the namespace is released after the DEL. The bridge plugin runs host-local (its
IPAM) itself, so its time includes it. `/bin/true` spawned the same way gives the cost of
starting any process here. Prints one line per measure ("name<TAB>median ms").
"""
import argparse
import json
import os
import statistics
import subprocess
import threading
import time


class PluginChain:
    def __init__(self, conflist, bin_dir, work):
        with open(conflist) as f:
            self.list = json.load(f)
        self.bin_dir, self.work, self.seq, self.lock = bin_dir, work, 0, threading.Lock()
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_PATH": bin_dir}

    def _run(self, plugin, command, prev, cid, netns):
        conf = dict(plugin, name=self.list["name"], cniVersion=self.list["cniVersion"])
        if prev is not None:
            conf["prevResult"] = prev
        env = dict(self.env, CNI_COMMAND=command, CNI_CONTAINERID=cid, CNI_NETNS=netns, CNI_IFNAME="eth0",
                   CNI_ARGS=f"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=floor;"
                            f"K8S_POD_INFRA_CONTAINER_ID={cid};K8S_POD_UID={cid}")
        t = time.perf_counter()
        p = subprocess.run([os.path.join(self.bin_dir, plugin["type"])], input=json.dumps(conf).encode(), env=env,
                           capture_output=True, check=False)
        ms = (time.perf_counter() - t) * 1000
        if p.returncode != 0:
            raise SystemExit(f"{plugin['type']} {command} failed ({p.returncode}): {p.stdout.decode()} {p.stderr.decode()}")
        return (json.loads(p.stdout) if p.stdout.strip() else None), ms

    def new_netns(self):
        """A new network namespace held at a file (not timed): (netns path, container id)."""
        with self.lock:
            self.seq += 1
            seq = self.seq
        netns = os.path.join(self.work, f"floor-netns-{seq}")
        open(netns, "w").close()
        subprocess.run(["unshare", f"--net={netns}", "true"], check=True)
        return netns, f"cnifloor{os.getpid()}x{seq}"

    def add(self, where=None):
        """ADD through the list on a new netns (or where, from new_netns()): ({measure: ms}, attachment)."""
        netns, cid = where or self.new_netns()
        out, prev, total = {}, None, 0.0
        for plugin in self.list["plugins"]:
            result, ms = self._run(plugin, "ADD", prev, cid, netns)
            prev = result if result is not None else prev
            out[f"ADD {plugin['type']}"], total = ms, total + ms
        out["ADD"] = total
        return out, (netns, cid, prev)

    def delete(self, attachment):
        """The DEL of an add()'s attachment, in reverse, then its netns goes: {measure: ms}."""
        netns, cid, prev = attachment
        out, total = {}, 0.0
        try:
            for plugin in reversed(self.list["plugins"]):
                _, ms = self._run(plugin, "DEL", prev, cid, netns)
                out[f"DEL {plugin['type']}"], total = ms, total + ms
            out["DEL"] = total
        finally:
            subprocess.run(["umount", netns], check=False)
            os.unlink(netns)
        t = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        out["spawn /bin/true"] = (time.perf_counter() - t) * 1000
        return out

    def round(self):
        out, attachment = self.add()
        return {**out, **self.delete(attachment)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conflist", required=True)
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    chain = PluginChain(a.conflist, a.bin_dir, a.work)
    vals = {}
    for i in range(a.warmup + a.n):
        for k, v in chain.round().items():
            if i >= a.warmup:
                vals.setdefault(k, []).append(v)
    for k, vs in vals.items():
        print(f"{k}\t{statistics.median(vs):.1f}")


if __name__ == "__main__":
    main()
