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
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cri_client import CriClient, pb  # noqa: E402 - first: may re-run this under Debian's python3
import berthd  # noqa: E402 - the shared harness
import grpc  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
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
        out = subprocess.run([os.path.join(FIXTURES, "registry.sh"), "start", "--dir", os.path.join(D.tmp, "registry"),
                              "--port", "0", "--mode", "auth", "--user", USER, "--password", PASSWORD],
                             check=True, capture_output=True, text=True).stdout
        REG = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("REGISTRY="))
        subprocess.run([os.path.join(FIXTURES, "registry-images.sh"), "--registry", REG, "--work",
                        os.path.join(D.tmp, "images"), "--user", USER, "--password", PASSWORD],
                       check=True, capture_output=True, text=True)
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
        subprocess.run([os.path.join(FIXTURES, "registry.sh"), "stop", "--dir", os.path.join(D.tmp, "registry")],
                       check=False, capture_output=True)
        D.cleanup()
        subprocess.run(["ip", "link", "del", BRIDGE], check=False, capture_output=True)
    if CNI.get("root"):
        subprocess.run(["rm", "-rf", CNI["root"]], check=False)


def auth(**kw):
    return pb.AuthConfig(server_address=REG, **kw)


def pull(ref, **kw):
    return cri.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref), auth=auth(**kw))).image_ref


class Runtime(unittest.TestCase):
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


if __name__ == "__main__":
    berthd.main(lambda: D)
