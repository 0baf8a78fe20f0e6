#!/usr/bin/env python3
"""Makes a bare-runtime bundle of the container berth runs (not a test; no third-party modules).

same_bundle.py [--no-seccomp] BERTH_CONFIG BUNDLE CGROUPS_PATH ARG...
    BERTH_CONFIG: the config.json berthd wrote for a running container (its exec root's
    containers/ID/config.json). Writes BUNDLE/config.json with the same process, capabilities,
    seccomp profile, mounts, masked and read-only paths, devices and namespaces, except:
    root is BUNDLE/rootfs (the image's files, made by the caller); the process runs ARG...;
    the network namespace is a new one (berth's is a path that goes with the container);
    the cgroup is CGROUPS_PATH; the files berth bind-mounts (hosts, hostname, resolv.conf)
    are copied into BUNDLE, because the container they came from is removed.
    --no-seccomp: without the seccomp profile (to compare with `--security-opt seccomp=unconfined`).
"""
import json, os, shutil, sys


def main(src, bundle, cgroups_path, args, seccomp=True):
    c = json.load(open(src))
    if not seccomp:
        c["linux"].pop("seccomp", None)
    c["root"] = {"path": "rootfs", "readonly": bool(c["root"].get("readonly", False))}
    c["process"]["args"] = args
    c["process"]["terminal"] = False
    c["linux"]["cgroupsPath"] = cgroups_path
    for ns in c["linux"]["namespaces"]:
        ns.pop("path", None)
    for m in c["mounts"]:
        if m.get("type") == "bind" and os.path.isfile(m["source"]):
            copy = os.path.join(bundle, "etc-" + os.path.basename(m["destination"]))
            shutil.copyfile(m["source"], copy)
            m["source"] = copy
    c.pop("hooks", None)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(c, f, indent=2)


if __name__ == "__main__":
    a = sys.argv[1:]
    seccomp = a[:1] != ["--no-seccomp"]
    if not seccomp:
        a = a[1:]
    if len(a) < 4:
        sys.exit(__doc__)
    main(a[0], a[1], a[2], a[3:], seccomp)
