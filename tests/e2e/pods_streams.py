#!/usr/bin/env python3
"""e2e.pods_streams: what a pod's containers do beyond their lifecycle, through
berthd's CRI socket (tests/e2e/lib/cri_client.py): Exec and Attach through the
streaming server's URLs (WebSocket, Kubernetes' remote-command protocol), a PID
namespace the pod's containers share (berth-init holds it), ReopenContainerLog
after the kubelet's rename, UpdateContainerResources, and a host-network pod.
CNI on bridge bpod0, 10.216.0.0/24, Debian's plugins.

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/pods_streams.py [-v]
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cri_client import CriClient, pb  # noqa: E402 - first: may re-run this under Debian's python3
import berthd  # noqa: E402
import grpc  # noqa: E402
from kube_streams import STDIN, STDOUT, STDERR, ERROR, CLOSE, exit_code, ws_session  # noqa: E402

USER, PASSWORD = "pods", "pods secret"
BRIDGE, SUBNET = "bpod0", "10.216.0.0/24"
D = None
REG = None
TMP = None
cri = None


def setUpModule():
    global D, REG, TMP, cri
    if os.geteuid() != 0:
        raise RuntimeError("must run as root")
    import tempfile
    TMP = tempfile.mkdtemp(prefix="berth-e2e-pods-cni.", dir="/tmp")
    conf = os.path.join(TMP, "net.d")
    os.makedirs(conf)
    with open(os.path.join(conf, "10-bpod.conflist"), "w") as f:
        json.dump({"cniVersion": "1.0.0", "name": "bpod", "plugins": [
            {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]], "dataDir": os.path.join(TMP, "ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": True}}]}, f)
    D = berthd.Daemon("pods_streams", "pd", ["--cni-conf-dir", conf, "--cni-bin-dir", "/usr/lib/cni",
                                             "--cni-cache-dir", os.path.join(TMP, "cache")])
    try:
        D.start()
        REG, _ = D.start_registry(USER, PASSWORD)
        cri = CriClient(os.path.join(D.tmp, "exec", "cri.sock"))
        cri.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=image()),
                                              auth=pb.AuthConfig(server_address=REG, username=USER, password=PASSWORD)))
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
    if TMP:
        subprocess.run(["rm", "-rf", TMP], check=False)


def image():
    return f"{REG}/test/busybox:v2s2"



class Pods(unittest.TestCase):
    def run_pod(self, name, **linux):
        logs = os.path.join(D.tmp, "pod-logs", name)
        os.makedirs(logs)
        cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=name, uid=f"uid-{name}", namespace="e2e"),
                                  hostname=name, log_directory=logs,
                                  linux=pb.LinuxPodSandboxConfig(cgroup_parent=f"/{D.cg}/pod-{name}", **linux))
        pod = cri.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg)).pod_sandbox_id
        self.addCleanup(lambda: (cri.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod)),
                                 cri.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod))))
        return pod, cfg

    def container(self, pod, cfg, name, cmd, start=True, **kw):
        c = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=image()),
                               command=["sh", "-c", cmd], log_path=f"{name}.log", **kw)
        cid = cri.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod, config=c,
                                                               sandbox_config=cfg)).container_id
        if start:
            cri.rt.StartContainer(pb.StartContainerRequest(container_id=cid))
        return cid

    def wait_stopped(self, events, cid):
        for ev in events:
            if ev.container_id == cid and ev.container_event_type == pb.CONTAINER_STOPPED_EVENT:
                return
        self.fail(f"no stop event for {cid}")

    def test_exec_and_attach_through_the_streaming_server(self):
        pod, cfg = self.run_pod("streams")
        idle = self.container(pod, cfg, "idle", "exec sleep 1000")
        url = cri.rt.Exec(pb.ExecRequest(container_id=idle, cmd=["sh", "-c", "cat; echo err >&2; exit 4"],
                                         stdin=True, stdout=True, stderr=True)).url
        self.assertRegex(url, r"^http://127\.0\.0\.1:\d+/exec/")
        got = ws_session(url, [(STDIN, b"from stdin"), (CLOSE, bytes([STDIN]))])
        self.assertEqual(got.get(STDOUT), b"from stdin")
        self.assertEqual(got.get(STDERR), b"err\n")
        self.assertEqual(exit_code(got[ERROR]), 4)

        # Attach: the container reads a line from its stdin and answers it.
        reader = self.container(pod, cfg, "reader", "read line; echo got:$line; exit 7", stdin=True, stdin_once=True)
        events = cri.rt.GetContainerEvents(pb.GetEventsRequest(), timeout=60)
        url = cri.rt.Attach(pb.AttachRequest(container_id=reader, stdin=True, stdout=True, stderr=True)).url
        got = ws_session(url, [(STDIN, b"hello\n")])
        self.assertEqual(got.get(STDOUT), b"got:hello\n")
        self.wait_stopped(events, reader)
        events.cancel()
        st = cri.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=reader)).status
        self.assertEqual((st.state, st.exit_code, st.reason), (pb.CONTAINER_EXITED, 7, "Error"))

        with self.assertRaises(grpc.RpcError) as cm:
            cri.rt.Exec(pb.ExecRequest(container_id=reader, cmd=["true"], stdout=True))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

    def test_shared_pid_namespace(self):
        pod, cfg = self.run_pod("shared", security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(pid=pb.POD)))
        ns = pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
            namespace_options=pb.NamespaceOption(pid=pb.POD)))
        a = self.container(pod, cfg, "a", "exec sleep 1001", linux=ns)
        b = self.container(pod, cfg, "b", "exec sleep 1002", linux=ns)
        out = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=b, cmd=["ps", "-o", "pid,args"])).stdout.decode()
        self.assertIn("sleep 1001", out)
        self.assertIn("sleep 1002", out)
        self.assertRegex(out, r"(?m)^\s*1 .*berth-init --hold", out)
        # A pod without a shared namespace: each container sees only its own.
        pod2, cfg2 = self.run_pod("apart", security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(pid=pb.CONTAINER)))
        c = self.container(pod2, cfg2, "c", "exec sleep 1003")
        out = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=c, cmd=["ps", "-o", "pid,args"])).stdout.decode()
        self.assertNotIn("sleep 1001", out)
        self.assertRegex(out, r"(?m)^\s*1 sleep 1003")

    def test_reopen_container_log_after_a_rename(self):
        pod, cfg = self.run_pod("logs")
        cid = self.container(pod, cfg, "w", "echo before; touch /tmp/ready; "
                                            "until [ -e /tmp/next ]; do sleep 0.05; done; echo after")
        # Waits inside the container for its first line to be written.
        cri.rt.ExecSync(pb.ExecSyncRequest(container_id=cid, timeout=30,
                                           cmd=["sh", "-c", "until [ -e /tmp/ready ]; do sleep 0.05; done"]))
        path = os.path.join(cfg.log_directory, "w.log")
        os.rename(path, path + ".1")
        cri.rt.ReopenContainerLog(pb.ReopenContainerLogRequest(container_id=cid))
        self.assertTrue(os.path.exists(path), "the log was not opened again")
        events = cri.rt.GetContainerEvents(pb.GetEventsRequest(), timeout=60)
        cri.rt.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["touch", "/tmp/next"]))
        self.wait_stopped(events, cid)
        events.cancel()
        with open(path) as f:
            new = f.read()
        with open(path + ".1") as f:
            old = f.read()
        self.assertRegex(new, r"stdout F after\n$")
        self.assertNotIn("after", old)
        self.assertEqual((old + new).count(" stdout F before\n"), 1)
        with self.assertRaises(grpc.RpcError) as cm:
            cri.rt.ReopenContainerLog(pb.ReopenContainerLogRequest(container_id=cid))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

    def test_update_resources_and_host_network(self):
        pod, cfg = self.run_pod("hostnet", security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER)))
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod)).status
        self.assertEqual(st.network.ip, "", "no CNI for a host-network pod")
        cid = self.container(pod, cfg, "h", "exec sleep 1004")
        host_net = os.readlink("/proc/self/ns/net")
        out = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["readlink", "/proc/self/ns/net"])).stdout
        self.assertEqual(out.decode().strip(), host_net)
        out = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["readlink", "/proc/self/ns/uts"])).stdout
        self.assertEqual(out.decode().strip(), os.readlink("/proc/self/ns/uts"), "the host's UTS namespace")
        cri.rt.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
            container_id=cid, linux=pb.LinuxContainerResources(memory_limit_in_bytes=64 << 20, cpu_shares=256)))
        res = cri.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid)).status.resources.linux
        self.assertEqual((res.memory_limit_in_bytes, res.cpu_shares), (64 << 20, 256))
        pid = json.loads(cri.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid, verbose=True)).info["info"])["pid"]
        with open(f"/proc/{pid}/cgroup") as f:
            mem = [line.split(":", 2)[2].strip() for line in f if line.split(":")[1] in ("memory", "")][0]
        base = "/sys/fs/cgroup/memory" if os.path.isdir("/sys/fs/cgroup/memory") else "/sys/fs/cgroup"
        limit_file = "memory.limit_in_bytes" if base.endswith("memory") else "memory.max"
        with open(os.path.join(base + mem, limit_file)) as f:
            self.assertEqual(int(f.read()), 64 << 20)
        self.assertIn(f"/{D.cg}/pod-hostnet/", mem + "/", "the pod's cgroup parent")


if __name__ == "__main__":
    berthd.main(lambda: D)
