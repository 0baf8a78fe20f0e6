#!/usr/bin/env python3
"""e2e.cri_pod_lifecycle: a CRI client built from proto/runtime/v1/api.proto
(tests/e2e/lib/cri_client.py) drives berthd's CRI socket: the runtime-level RPCs,
images pulled from Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.sh,
basic auth) with the credentials the CRI passes, and a pod lifecycle with CNI
networking from a conf dir written here (bridge bcri0, 10.214.0.0/24, Debian's
plugins in /usr/lib/cni).

berthd runs isolated (tests/e2e/lib/berthd.py: temp root, cgroup parent, bridge, nft
table); its CRI socket is <exec-root>/cri.sock.

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/cri_pod_lifecycle.py [-v]
"""
import base64
import json
import os
import re
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cri_client import CriClient, pb  # noqa: E402 - first: may re-run this under Debian's python3
import berthd  # noqa: E402 - the shared harness
import grpc  # noqa: E402

USER, PASSWORD = "cri", "cri secret"
BRIDGE, SUBNET = "bcri0", "10.214.0.0/24"
D = None
REG = None
CNI = {}
cri = None


def cni_dirs(tmp):
    conf = os.path.join(tmp, "cni", "net.d")
    os.makedirs(conf)
    with open(os.path.join(conf, "10-bcri.conflist"), "w") as f:
        json.dump({"cniVersion": "1.0.0", "name": "bcri", "plugins": [
            {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False, "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]],
                      "dataDir": os.path.join(tmp, "cni", "ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "loopback"}]}, f)
    return {"conf": conf, "bin": "/usr/lib/cni", "cache": os.path.join(tmp, "cni", "cache"),
            "ipam": os.path.join(tmp, "cni", "ipam")}


def setUpModule():
    global D, REG, CNI, cri
    if os.geteuid() != 0:
        raise RuntimeError("must run as root")
    import tempfile
    # The CNI dirs live in the daemon's temp root; the root is made first to know them.
    pre = tempfile.mkdtemp(prefix="berth-e2e-cri-cni.", dir="/tmp")
    CNI = cni_dirs(pre)
    CNI["root"] = pre
    D = berthd.Daemon("cri_pod_lifecycle", "c",
                      ["--cni-conf-dir", CNI["conf"], "--cni-bin-dir", CNI["bin"], "--cni-cache-dir", CNI["cache"]])
    try:
        D.start()
        REG, _ = D.start_registry(USER, PASSWORD)
        cri = CriClient(os.path.join(D.tmp, "exec", "cri.sock"))
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    global cri
    if cri is not None:
        cri.close()
        cri = None
    if D is not None:
        D.stop_registry()
        D.cleanup()
        subprocess.run(["ip", "link", "del", BRIDGE], check=False, capture_output=True)
    if CNI.get("root"):
        subprocess.run(["rm", "-rf", CNI["root"]], check=False)


def auth(**kw):
    return pb.AuthConfig(server_address=REG, **kw)


def pull(ref, **kw):
    return cri.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref), auth=auth(**kw))).image_ref


class Runtime(unittest.TestCase):
    def test_update_runtime_config_pod_cidr(self):
        cri.rt.UpdateRuntimeConfig(pb.UpdateRuntimeConfigRequest(
            runtime_config=pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr="10.214.0.0/24"))))
        info = json.loads(cri.rt.Status(pb.StatusRequest(verbose=True)).info["config"])
        self.assertEqual(info["podCIDR"], "10.214.0.0/24")

    def test_checkpoint_is_plainly_unsupported(self):
        with self.assertRaises(grpc.RpcError) as cm:
            cri.rt.CheckpointContainer(pb.CheckpointContainerRequest(container_id="nothere", location="/tmp/x.tar"))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("not supported", cm.exception.details())

    def test_version(self):
        v = cri.rt.Version(pb.VersionRequest(version="v1"))
        self.assertEqual(v.runtime_name, "berth")
        self.assertEqual(v.runtime_api_version, "v1")
        self.assertRegex(v.runtime_version, r"^\d+\.\d+\.\d+")

    def test_socket_mode_0660(self):
        st = os.stat(os.path.join(D.tmp, "exec", "cri.sock"))
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)

    def test_runtime_config_cgroupfs(self):
        r = cri.rt.RuntimeConfig(pb.RuntimeConfigRequest())
        self.assertEqual(r.linux.cgroup_driver, pb.CGROUPFS)

    def test_status_ready_and_verbose(self):
        r = cri.rt.Status(pb.StatusRequest(verbose=True))
        conds = {c.type: c for c in r.status.conditions}
        self.assertTrue(conds["RuntimeReady"].status)
        self.assertTrue(conds["NetworkReady"].status, conds["NetworkReady"].message)
        info = json.loads(r.info["config"])
        self.assertEqual(info["cgroupDriver"], "cgroupfs")


class Images(unittest.TestCase):
    def test_pull_without_credentials_fails(self):
        with self.assertRaises(grpc.RpcError) as cm:
            cri.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=f"{REG}/test/busybox:oci")))
        self.assertIn("auth", cm.exception.details().lower())

    def test_pull_list_status_remove(self):
        ref = f"{REG}/test/busybox:v2s2"
        image_id = pull(ref, username=USER, password=PASSWORD)
        self.assertRegex(image_id, r"^sha256:[0-9a-f]{64}$")
        # The same id from every RPC that names the image.
        listed = cri.img.ListImages(pb.ListImagesRequest()).images
        mine = [i for i in listed if i.id == image_id]
        self.assertEqual(len(mine), 1)
        self.assertIn(ref, mine[0].repo_tags)
        self.assertGreater(mine[0].size, 0)
        one = cri.img.ListImages(pb.ListImagesRequest(filter=pb.ImageFilter(image=pb.ImageSpec(image=ref)))).images
        self.assertEqual([i.id for i in one], [image_id])
        st = cri.img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref), verbose=True))
        self.assertEqual(st.image.id, image_id)
        self.assertIn("Config", json.loads(st.info["info"]))
        by_id = cri.img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=image_id)))
        self.assertEqual(by_id.image.id, image_id)
        # Removing a tag removes the image (every name of it); again is fine.
        cri.img.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)))
        self.assertFalse(cri.img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref))).HasField("image"))
        self.assertFalse(cri.img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=image_id))).HasField("image"))
        cri.img.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)))

    def test_pull_with_auth_field(self):
        ref = f"{REG}/test/busybox:oci"
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.assertRegex(pull(ref, auth=token), r"^sha256:")

    def test_images_shared_with_the_docker_api(self):
        ref = f"{REG}/test/multitag:v1"
        image_id = pull(ref, username=USER, password=PASSWORD)
        dc = berthd.docker.DockerClient(base_url=f"unix://{D.sock}", timeout=30)
        try:
            self.assertEqual(dc.images.get(ref).id, image_id)
            dc.images.get(ref).tag(f"{REG}/test/from-docker", "1")
        finally:
            dc.close()
        st = cri.img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=f"{REG}/test/from-docker:1")))
        self.assertEqual(st.image.id, image_id)
        self.assertIn(f"{REG}/test/from-docker:1", st.image.repo_tags)

    def test_image_status_of_absent_image(self):
        r = cri.img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image="nothere/none:1")))
        self.assertFalse(r.HasField("image"))

    def test_empty_image_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as cm:
            cri.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image="")))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_image_fs_info(self):
        pull(f"{REG}/test/busybox:v2s2", username=USER, password=PASSWORD)
        fs = cri.img.ImageFsInfo(pb.ImageFsInfoRequest()).image_filesystems
        self.assertEqual(len(fs), 1)
        self.assertGreater(fs[0].used_bytes.value, 0)
        self.assertGreater(fs[0].inodes_used.value, 0)
        self.assertTrue(os.path.join(D.tmp, "data").startswith(fs[0].fs_id.mountpoint.rstrip("/") + "/")
                        or fs[0].fs_id.mountpoint == "/", fs[0].fs_id.mountpoint)
        self.assertGreater(fs[0].timestamp, 0)


def wait_exit(events, cid, deadline_s=60):
    """The container's CONTAINER_STOPPED_EVENT from a GetContainerEvents stream opened before it started."""
    for ev in events:
        if ev.container_id == cid and ev.container_event_type == pb.CONTAINER_STOPPED_EVENT:
            return
    raise AssertionError(f"the events stream ended before container {cid} stopped")


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path.rstrip("/") + "/")]


class PodLifecycle(unittest.TestCase):
    """One pod, in order: pull, sandbox with CNI, a server and a client sharing the pod's
    network, ExecSync, CRI logs, stats, a berthd restart, stop, remove, nothing left."""

    def test_pod_lifecycle(self):
        global cri
        image = f"{REG}/test/busybox:v2s2"
        pull(image, username=USER, password=PASSWORD)
        logs = os.path.join(D.tmp, "pod-logs", "e2e_web_uid1")
        os.makedirs(logs)
        cg_parent = f"/{D.cg}/pod-uid1"
        sandbox = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name="web", uid="uid1", namespace="e2e", attempt=0),
            hostname="web", log_directory=logs, labels={"app": "web"}, annotations={"note": "kept as is"},
            dns_config=pb.DNSConfig(servers=["10.214.0.1"], searches=["e2e.svc"]),
            linux=pb.LinuxPodSandboxConfig(cgroup_parent=cg_parent))
        pod = cri.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=sandbox)).pod_sandbox_id
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod, verbose=True))
        self.assertEqual(st.status.state, pb.SANDBOX_READY)
        self.assertRegex(st.status.network.ip, r"^10\.214\.0\.\d+$")
        self.assertEqual(dict(st.status.annotations), {"note": "kept as is"})
        self.assertTrue(st.info, "verbose PodSandboxStatus has no info")
        pods = cri.rt.ListPodSandbox(pb.ListPodSandboxRequest(
            filter=pb.PodSandboxFilter(label_selector={"app": "web"}))).items
        self.assertEqual([p.id for p in pods], [pod])

        def create(name, cmd):
            cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=image),
                                     command=["sh", "-c", cmd], log_path=f"{name}.log", labels={"c": name})
            return cri.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod, config=cfg,
                                                                    sandbox_config=sandbox)).container_id
        server = create("server", "mkdir -p /www && echo hello-from-pod > /www/index.html && "
                                  "exec httpd -f -p 127.0.0.1:8080 -h /www")
        cri.rt.StartContainer(pb.StartContainerRequest(container_id=server))
        # The client retries until the server listens (a condition, bounded by the wait below).
        client = create("client", "until wget -q -O- http://127.0.0.1:8080/; do sleep 0.1; done")
        events = cri.rt.GetContainerEvents(pb.GetEventsRequest(), timeout=60)
        cri.rt.StartContainer(pb.StartContainerRequest(container_id=client))
        wait_exit(events, client)
        events.cancel()
        cs = cri.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=client)).status
        self.assertEqual(cs.state, pb.CONTAINER_EXITED)
        self.assertEqual(cs.exit_code, 0)
        self.assertEqual(cs.log_path, os.path.join(logs, "client.log"))
        with open(os.path.join(logs, "client.log")) as f:
            lines = f.read().splitlines()
        # The kubelet's format: RFC 3339 nano time, stream, P(artial)/F(ull), the line.
        self.assertTrue(any(re.match(r"^\d{4}-\d\d-\d\dT\S+ stdout F hello-from-pod$", l)
                            for l in lines), lines)

        # ExecSync: output, exit code, and a timeout.
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=server, cmd=["sh", "-c", "echo out; echo err >&2; exit 3"]))
        self.assertEqual((r.stdout, r.stderr, r.exit_code), (b"out\n", b"err\n", 3))
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=server, cmd=["hostname"]))
        self.assertEqual(r.stdout, b"web\n")
        t = time.monotonic()
        with self.assertRaises(grpc.RpcError) as cm:
            cri.rt.ExecSync(pb.ExecSyncRequest(container_id=server, cmd=["sleep", "30"], timeout=1))
        self.assertLess(time.monotonic() - t, 10)
        self.assertIn("timeout", cm.exception.details().lower())

        # Stats.
        stats = cri.rt.ContainerStats(pb.ContainerStatsRequest(container_id=server)).stats
        self.assertEqual(stats.attributes.id, server)
        self.assertGreater(stats.memory.working_set_bytes.value, 0)
        self.assertGreater(stats.cpu.usage_core_nano_seconds.value, 0)
        listed = cri.rt.ListContainerStats(pb.ListContainerStatsRequest(
            filter=pb.ContainerStatsFilter(pod_sandbox_id=pod))).stats
        self.assertIn(server, [s.attributes.id for s in listed])
        running = cri.rt.ListContainers(pb.ListContainersRequest(filter=pb.ContainerFilter(
            pod_sandbox_id=pod, state=pb.ContainerStateValue(state=pb.CONTAINER_RUNNING)))).containers
        self.assertEqual([c.id for c in running], [server])

        # CRI containers are not the Docker API's (as containerd keeps namespaces apart).
        dc = berthd.docker.DockerClient(base_url=f"unix://{D.sock}", timeout=30)
        self.assertEqual(dc.containers.list(all=True), [])
        dc.close()

        # A berthd restart: the pod and its server keep running and are listed again.
        cri.close()
        cri = None
        D.stop()
        D.start()
        cri = CriClient(os.path.join(D.tmp, "exec", "cri.sock"))
        pods = cri.rt.ListPodSandbox(pb.ListPodSandboxRequest()).items
        self.assertEqual([(p.id, p.state) for p in pods], [(pod, pb.SANDBOX_READY)])
        ids = {c.id: c.state for c in cri.rt.ListContainers(pb.ListContainersRequest()).containers}
        self.assertEqual(ids, {server: pb.CONTAINER_RUNNING, client: pb.CONTAINER_EXITED})
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=server, cmd=["wget", "-q", "-O-", "http://127.0.0.1:8080/"]))
        self.assertEqual(r.stdout, b"hello-from-pod\n")

        # Stop and remove (each twice: both are idempotent).
        for _ in range(2):
            cri.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod))
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod))
        self.assertEqual(st.status.state, pb.SANDBOX_NOTREADY)
        for _ in range(2):
            cri.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod))
        self.assertEqual(list(cri.rt.ListPodSandbox(pb.ListPodSandboxRequest()).items), [])
        self.assertEqual(list(cri.rt.ListContainers(pb.ListContainersRequest()).containers), [])
        with self.assertRaises(grpc.RpcError) as cm:
            cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)

        # Nothing left behind: mounts (netns bind mounts, rootfs), CNI cache and leases,
        # the pod's cgroups, the bridge's veths.
        self.assertEqual(mounts_under(D.tmp), [])
        left = [os.path.join(d, f) for d, _, fs in os.walk(CNI["cache"]) for f in fs]
        self.assertEqual(left, [])
        leases = [f for _, _, fs in os.walk(CNI["ipam"]) for f in fs if f[0].isdigit() and f.count(".") == 3]
        self.assertEqual(leases, [])
        self.assertFalse(os.path.exists(f"/sys/fs/cgroup{cg_parent}"), "the pod's cgroup is left")
        veths = subprocess.run(["ip", "-o", "link", "show", "master", BRIDGE], capture_output=True, text=True).stdout
        self.assertEqual(veths.strip(), "")


if __name__ == "__main__":
    berthd.main(lambda: D)
