#!/usr/bin/env python3
"""e2e.cri_vm_pod: the CRI runtime handler `vm`, a whole pod in one microVM
(docs/vm.md "Pods in one VM"), through berthd's CRI socket
(tests/e2e/lib/cri_client.py). Two containers in the pod: the guest's kernel is not
the host's; one serves on the pod's localhost and the other reaches it there; the
pod's IP answers from the host; ExecSync, Exec, Attach and PortForward through the
streaming server, stats, exit codes, logs; the VM's size from the pod's resources; a berthd
restart with the pod running; StopContainer's SIGTERM; QEMU killed under the pod
gives every container an exit status (137) and an event, never a hang, and the pod
reads NOTREADY; stopping and removing the pod leaves no keeper, QEMU, virtiofsd,
mount, netns or masquerade rule behind; host namespaces are refused.

CNI on bridge bvpod0, 10.231.0.0/24, Debian's plugins; TCG (no /dev/kvm needed).
The guest image is the build's (ninja vm-guest-image) or BERTH_VM_KERNEL/INITRD.

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/cri_vm_pod.py [-v]
"""
import functools
import json
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cri_client import CriClient, pb  # noqa: E402 - first: may re-run this under Debian's python3
import berthd  # noqa: E402
import grpc  # noqa: E402
import kube_streams  # noqa: E402
from kube_streams import STDIN, STDOUT, STDERR, ERROR, CLOSE, exit_code  # noqa: E402

BRIDGE, SUBNET = "bvpod0", "10.231.0.0/24"
PORT = 19431
IMAGE = "busybox:latest"
D = None
DC = None
TMP = None
cri = None


def guest_image():
    build = os.path.dirname(os.path.dirname(os.path.dirname(berthd.find_berthd())))
    kernel = os.environ.get("BERTH_VM_KERNEL", os.path.join(build, "vm", "kernel"))
    initrd = os.environ.get("BERTH_VM_INITRD", os.path.join(build, "vm", "initramfs.cpio"))
    for path in (kernel, initrd):
        if not os.access(path, os.R_OK):
            raise RuntimeError(f"prerequisite missing: the guest image {path} (ninja vm-guest-image, or set "
                               "BERTH_VM_KERNEL / BERTH_VM_INITRD)")
    return kernel, initrd


def setUpModule():
    global D, DC, TMP, cri
    if os.geteuid() != 0:
        raise RuntimeError("must run as root")
    for tool in ("/usr/bin/qemu-system-x86_64", "/usr/lib/qemu/virtiofsd"):
        if not os.access(tool, os.X_OK):
            raise RuntimeError(f"prerequisite missing: {tool}")
    kernel, initrd = guest_image()
    import tempfile
    TMP = tempfile.mkdtemp(prefix="vmpod-e2e-cni.", dir="/tmp")
    conf = os.path.join(TMP, "net.d")
    os.makedirs(conf)
    with open(os.path.join(conf, "10-bvpod.conflist"), "w") as f:
        json.dump({"cniVersion": "1.0.0", "name": "bvpod", "plugins": [
            {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": True, "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]], "routes": [{"dst": "0.0.0.0/0"}],
                      "dataDir": os.path.join(TMP, "ipam")}}]}, f)
    extra = ["--cni-conf-dir", conf, "--cni-bin-dir", "/usr/lib/cni", "--cni-cache-dir", os.path.join(TMP, "cache"),
             "--vm-kernel", kernel, "--vm-initrd", initrd, "--vm-accel", os.environ.get("E2E_VM_ACCEL", "tcg")]
    try:
        D, DC = berthd.start_module("cri_vm_pod", "vp", extra)
        cri = CriClient(os.path.join(D.tmp, "exec", "cri.sock"))
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    global cri
    if cri is not None:
        cri.close()
        cri = None
    berthd.stop_module(D, DC)
    subprocess.run(["ip", "link", "del", BRIDGE], check=False, capture_output=True)
    if TMP:
        subprocess.run(["rm", "-rf", TMP], check=False)


def procs_mentioning(text):
    """pids whose command line mentions text (the test's own temp root)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    out.append(int(pid))
        except OSError:
            pass
    return out


def argv(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


# A guest under TCG answers slower than a namespace container.
ws_session = functools.partial(kube_streams.ws_session, timeout=60)



def alive(pid):
    """pid runs (an exited process that its reaper, maybe a lazy PID 1, has not reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_for(pred, what, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out after {limit} s waiting for {what}")


class VmPod(unittest.TestCase):
    def run_pod(self, name, **linux):
        logs = os.path.join(D.tmp, "pod-logs", name)
        os.makedirs(logs)
        ns = pb.NamespaceOption(pid=pb.CONTAINER)
        cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=name, uid=f"uid-{name}", namespace="e2e"),
                                  hostname=name, log_directory=logs,
                                  linux=pb.LinuxPodSandboxConfig(
                                      cgroup_parent=f"/{D.cg}/pod-{name}",
                                      security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns), **linux))
        pod = cri.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler="vm"),
                                   timeout=180).pod_sandbox_id
        self.addCleanup(self.remove_pod, pod)  # also when the test fails half-way (again is fine)
        return pod, cfg

    def container(self, pod, cfg, name, cmd, start=True, **kw):
        c = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=IMAGE),
                               command=["sh", "-c", cmd], log_path=f"{name}.log", **kw,
                               linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                                   namespace_options=pb.NamespaceOption(pid=pb.CONTAINER))))
        cid = cri.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod, config=c, sandbox_config=cfg),
                                     timeout=60).container_id
        if start:
            cri.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=120)
        return cid

    def status(self, cid):
        return cri.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid)).status

    def remove_pod(self, pod):
        cri.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=120)
        cri.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=120)

    def assert_nothing_left(self, pod):
        pod_dir = os.path.join(D.tmp, "exec", "cri", "pods", pod)
        # The VM's cgroup went with it, in every hierarchy.
        found = subprocess.run(["find", "/sys/fs/cgroup", "-maxdepth", "5", "-type", "d", "-name", f"vm-{pod}"],
                               capture_output=True, text=True).stdout
        self.assertEqual(found, "")
        self.assertFalse(os.path.exists(pod_dir), f"{pod_dir} is left")
        self.assertEqual(mounts_under(pod_dir), [])
        self.assertEqual(mounts_under(os.path.join(D.tmp, "exec", "vms")), [])
        left = [p for p in procs_mentioning(D.tmp) if p != os.getpid() and p != D.proc.pid and alive(p)]
        named = {}
        for p in left:
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    named[p] = f.read().replace(b"\0", b" ").decode(errors="replace")[:160]
            except OSError:
                pass
        self.assertEqual({p: c for p, c in named.items() if "qemu" in c or "virtiofsd" in c or "vm-runner" in c
                          or "berth-shim" in c}, {})
        # The CNI DEL found the pod's address (the keeper gave it back to eth0): no masquerade rule left.
        nat = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True).stdout
        self.assertNotIn(pod, nat)
        # The pod's netns is gone (its held file and the namespace itself: no interface of the pod left on the bridge).
        links = subprocess.run(["ip", "-j", "link", "show", "master", BRIDGE], capture_output=True, text=True).stdout
        self.assertEqual(json.loads(links or "[]"), [], "a veth of the pod is still on the bridge")

    def test_status_lists_the_handler(self):
        names = [h.name for h in cri.rt.Status(pb.StatusRequest()).runtime_handlers]
        self.assertEqual(names, ["", "vm", "berth-vm"])

    def test_refusals(self):
        for ns, why in ((pb.NamespaceOption(network=pb.NODE), "host networking"),
                        (pb.NamespaceOption(pid=pb.NODE), "PID namespace"),
                        (pb.NamespaceOption(pid=pb.POD), "shareProcessNamespace")):
            cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name="no", uid="uid-no", namespace="e2e"),
                                      linux=pb.LinuxPodSandboxConfig(
                                          security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
            with self.assertRaises(grpc.RpcError) as cm:
                cri.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler="vm"))
            self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(why, cm.exception.details())
        with self.assertRaises(grpc.RpcError) as cm:
            cri.rt.RunPodSandbox(pb.RunPodSandboxRequest(
                config=pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name="no", uid="uid-no", namespace="e2e")),
                runtime_handler="kata"))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_pod_in_one_vm(self):
        events = cri.rt.GetContainerEvents(pb.GetEventsRequest(), timeout=170)
        pod, cfg = self.run_pod("vmpod")
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod, verbose=True))
        self.assertEqual(st.status.runtime_handler, "vm")
        self.assertEqual(st.status.state, pb.SANDBOX_READY)
        pod_ip = st.status.network.ip
        self.assertTrue(pod_ip.startswith("10.231.0."), pod_ip)
        info = json.loads(st.info["info"])
        keeper = info["vm"]["keeper_pid"]
        self.assertTrue(alive(keeper))
        # The VM is accounted to the pod: its keeper and QEMU are in a cgroup under the pod's parent.
        self.assertEqual(info["vm"]["cgroup"], f"/{D.cg}/pod-vmpod/vm-{pod}")
        with open(f"/proc/{keeper}/cgroup") as f:
            self.assertIn(f"/{D.cg}/pod-vmpod/vm-{pod}", f.read())
        listed = [p for p in cri.rt.ListPodSandbox(pb.ListPodSandboxRequest()).items if p.id == pod]
        self.assertEqual(listed[0].runtime_handler, "vm")

        server = self.container(pod, cfg, "server",
                                f"mkdir -p /www && echo pod-hello > /www/index.html && exec httpd -f -p {PORT} -h /www")
        client = self.container(pod, cfg, "client", "exec sleep 1000")
        quick = self.container(pod, cfg, "quick", "echo quick-out; exit 7")

        # One guest kernel, not the host's.
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=client, cmd=["uname", "-r"], timeout=60), timeout=90)
        self.assertEqual(r.exit_code, 0, r.stderr)
        guest = r.stdout.decode().strip()
        self.assertNotEqual(guest, os.uname().release)
        self.assertTrue(guest)
        # The pod's localhost is shared: the client reaches the server on 127.0.0.1.
        got = wait_for(lambda: (lambda r: r.stdout if r.exit_code == 0 else None)(cri.rt.ExecSync(
            pb.ExecSyncRequest(container_id=client, cmd=["wget", "-qO-", f"http://127.0.0.1:{PORT}/"], timeout=20),
            timeout=40)), "the server on the pod's localhost", 60)
        self.assertEqual(got, b"pod-hello\n")
        # The pod's IP answers from the host.
        body = wait_for(lambda: self.fetch(f"http://{pod_ip}:{PORT}/"), "the pod IP from the host", 30)
        self.assertEqual(body, b"pod-hello\n")
        # PortForward (WebSocket) reaches the server through the pod's address.
        url = cri.rt.PortForward(pb.PortForwardRequest(pod_sandbox_id=pod, port=[PORT])).url
        got = ws_session(url, [(0, b"GET /index.html HTTP/1.0\r\n\r\n")], protocol="v4.channel.k8s.io")
        self.assertEqual(got.get(0, b"")[:2], PORT.to_bytes(2, "little"))  # each channel starts with its port
        self.assertTrue(got[0].endswith(b"pod-hello\n"), got)
        # ExecSync's output, stderr and exit code.
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=server, cmd=["sh", "-c", "echo out; echo err >&2; exit 3"],
                                               timeout=60), timeout=90)
        self.assertEqual((r.stdout, r.stderr, r.exit_code), (b"out\n", b"err\n", 3))
        # Exec through the streaming server (WebSocket): stdin in, both outputs, the exit code.
        url = cri.rt.Exec(pb.ExecRequest(container_id=client, cmd=["sh", "-c", "cat; echo err >&2; exit 4"],
                                         stdin=True, stdout=True, stderr=True)).url
        got = ws_session(url, [(STDIN, b"from stdin"), (CLOSE, bytes([STDIN]))])
        self.assertEqual((got.get(STDOUT), got.get(STDERR), exit_code(got[ERROR])), (b"from stdin", b"err\n", 4))
        # Attach: a container that reads a line from its stdin answers it.
        reader = self.container(pod, cfg, "reader", "read line; echo got:$line; exit 5", stdin=True, stdin_once=True)
        url = cri.rt.Attach(pb.AttachRequest(container_id=reader, stdin=True, stdout=True, stderr=True)).url
        got = ws_session(url, [(STDIN, b"hello\n")])
        self.assertEqual(got.get(STDOUT), b"got:hello\n")
        wait_for(lambda: self.status(reader).state == pb.CONTAINER_EXITED, "the reader's exit")
        self.assertEqual(self.status(reader).exit_code, 5)
        # Stats come from the guest's cgroup of that container.
        stats = cri.rt.ContainerStats(pb.ContainerStatsRequest(container_id=server)).stats
        self.assertGreater(stats.memory.working_set_bytes.value, 0)
        # The VM's size is the pod's: the default 128 MiB here.
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=client, cmd=["grep", "MemTotal", "/proc/meminfo"],
                                               timeout=60), timeout=90)
        self.assertLessEqual(int(r.stdout.split()[1]), 128 * 1024)
        # A container's exit code and its log.
        wait_for(lambda: self.status(quick).state == pb.CONTAINER_EXITED, "the quick container's exit")
        self.assertEqual(self.status(quick).exit_code, 7)
        with open(os.path.join(D.tmp, "pod-logs", "vmpod", "quick.log")) as f:
            self.assertIn("quick-out", f.read())
        # The others still run (one container's end is not the pod's).
        self.assertEqual(self.status(server).state, pb.CONTAINER_RUNNING)

        # A container's runner killed: that container ends (137), the keeper kills and deletes
        # it in the guest, the others run on.
        victim = self.container(pod, cfg, "victim", f"exec httpd -f -p {PORT + 1} -h /")
        wait_for(lambda: self.connects(pod_ip, PORT + 1), "the victim's server", 30)
        runner = [p for p in procs_mentioning(victim) if argv(p)[:1] and argv(p)[0].endswith(b"berth-vm-runner")]
        self.assertEqual(len(runner), 1, "the victim's runner")
        os.kill(runner[0], signal.SIGKILL)
        wait_for(lambda: self.status(victim).state == pb.CONTAINER_EXITED, "the victim's exit")
        self.assertEqual(self.status(victim).exit_code, 137)
        # Its process in the guest is gone: its port no longer answers.
        wait_for(lambda: not self.connects(pod_ip, PORT + 1), "the victim's process's end in the guest", 30)
        self.assertEqual(self.status(server).state, pb.CONTAINER_RUNNING)

        # QEMU killed under the pod: every running container gets 137 and an event.
        qemu = [p for p in procs_mentioning(os.path.join("pods", pod, "vm")) if self.is_qemu(p)]
        self.assertEqual(len(qemu), 1, "the pod's QEMU")
        os.kill(qemu[0], signal.SIGKILL)
        stopped = set()
        for ev in events:
            if ev.container_event_type == pb.CONTAINER_STOPPED_EVENT and ev.container_id in (server, client):
                stopped.add(ev.container_id)
                if stopped == {server, client}:
                    break
        self.assertEqual(stopped, {server, client})
        for cid in (server, client):
            st = self.status(cid)
            self.assertEqual((st.state, st.exit_code), (pb.CONTAINER_EXITED, 137), cid)
        wait_for(lambda: not alive(keeper), "the keeper's end", 30)
        # The pod without its VM cannot run containers: NOTREADY (the kubelet recreates it).
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod))
        self.assertEqual(st.status.state, pb.SANDBOX_NOTREADY)

        self.remove_pod(pod)
        self.assert_nothing_left(pod)

    def test_restart_and_stop_a_running_pod(self):
        global cri
        # A bigger pod: its resources are the VM's size.
        pod, cfg = self.run_pod("vmstop", resources=pb.LinuxContainerResources(memory_limit_in_bytes=256 << 20))
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod, verbose=True))
        keeper = json.loads(st.info["info"])["vm"]["keeper_pid"]
        a = self.container(pod, cfg, "a", "exec sleep 1000")
        b = self.container(pod, cfg, "b", "trap 'exit 0' TERM; while :; do sleep 1; done")
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=a, cmd=["grep", "MemTotal", "/proc/meminfo"], timeout=60),
                            timeout=90)
        self.assertGreater(int(r.stdout.split()[1]), 200 * 1024)
        # berthd restarts: the pod's VM and its containers keep running and are found again.
        cri.close()
        cri = None
        D.stop()
        D.start()
        cri = CriClient(os.path.join(D.tmp, "exec", "cri.sock"))
        self.assertTrue(alive(keeper))
        st = cri.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod))
        self.assertEqual((st.status.state, st.status.runtime_handler), (pb.SANDBOX_READY, "vm"))
        self.assertEqual(self.status(a).state, pb.CONTAINER_RUNNING)
        r = cri.rt.ExecSync(pb.ExecSyncRequest(container_id=b, cmd=["echo", "after-restart"], timeout=60), timeout=90)
        self.assertEqual((r.exit_code, r.stdout), (0, b"after-restart\n"))
        # StopContainer's SIGTERM reaches the process in the guest (its trap exits 0).
        cri.rt.StopContainer(pb.StopContainerRequest(container_id=b, timeout=30), timeout=60)
        st = self.status(b)
        self.assertEqual((st.state, st.exit_code), (pb.CONTAINER_EXITED, 0))
        self.assertEqual(self.status(a).state, pb.CONTAINER_RUNNING)
        t0 = time.monotonic()
        self.remove_pod(pod)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertFalse(alive(keeper))
        for cid in (a, b):
            with self.assertRaises(grpc.RpcError):
                self.status(cid)
        self.assert_nothing_left(pod)

    @staticmethod
    def is_qemu(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return b"qemu-system" in f.read().split(b"\0")[0]
        except OSError:
            return False

    @staticmethod
    def connects(host, port):
        import socket
        try:
            socket.create_connection((host, port), timeout=5).close()
            return True
        except OSError:
            return False

    @staticmethod
    def fetch(url):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        except OSError:
            return None


if __name__ == "__main__":
    unittest.main()
