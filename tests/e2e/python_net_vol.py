#!/usr/bin/env python3
"""e2e.python_net_vol: networks and volumes through the Docker SDK for Python
(Debian's python3-docker 7.x) against an isolated berthd (tests/e2e/lib/berthd.py:
its own temp root, cgroup parent, default bridge btn<pid> and nftables table).

User networks live in 10.211.0.0/16, published host ports in 29000-29999; traffic
stays on loopback (urllib from the host to 127.0.0.1) and on the containers' own
addresses (busybox wget from one container to another).

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/python_net_vol.py [-v] [TestClass.test_name]
"""
import os
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import berthd  # noqa: E402 - tests/e2e/lib/berthd.py, the shared harness
from berthd import IMG, docker  # noqa: E402
from docker.types import IPAMConfig, IPAMPool  # noqa: E402

D = None
client = None
LONG = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done']
# Busybox 1.35's wget segfaults with -T, so busybox timeout bounds it; run such
# containers with init=True (timeout execs wget in its place, and PID 1 ignores TERM).
WGET = ["timeout", "3", "wget", "-qO-"]


def setUpModule():
    global D, client
    D, client = berthd.start_module("python_net_vol", "n")


def tearDownModule():
    global client
    berthd.stop_module(D, client)
    client = None


def http_get(port, timeout=2.0):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout) as r:
        return r.status, r.read()


def retry(fn, tries=15, delay=0.2):
    """fn() until it does not raise (httpd start-up), the last error re-raised."""
    for i in range(tries):
        try:
            return fn()
        except Exception:  # noqa: BLE001
            if i == tries - 1:
                raise
            time.sleep(delay)


def ipam(subnet, gateway=None, ip_range=None):
    """The IPAM dict without null fields: IPAMPool sends "Gateway"/"IPRange": null for
    those not given, which test_create_with_sdk_default_pool covers on its own."""
    pool = {"Subnet": subnet}
    if gateway:
        pool["Gateway"] = gateway
    if ip_range:
        pool["IPRange"] = ip_range
    return {"Driver": "default", "Config": [pool]}


class Base(unittest.TestCase):
    def setUp(self):
        self.made = []
        self.nets = []
        self.vols = []

    def tearDown(self):
        for c in self.made:
            try:
                c.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        for n in self.nets:
            try:
                n.remove()
            except docker.errors.NotFound:
                pass
        for v in self.vols:
            try:
                v.remove(force=True)
            except docker.errors.NotFound:
                pass

    def run_d(self, cmd, **kw):
        c = client.containers.run(IMG, cmd, detach=True, **kw)
        self.made.append(c)
        return c

    def web(self, text, **kw):
        return self.run_d(["sh", "-c", f"mkdir -p /www && echo {text} >/www/index.html && exec httpd -f -p 80 -h /www"],
                          **kw)

    def net(self, name, subnet, **kw):
        n = client.networks.create(name, driver="bridge", ipam=ipam(subnet, **kw.pop("ipam_kw", {})), **kw)
        self.nets.append(n)
        return n

    def fetch(self, network, url):
        """(exit code, output) of wget in a throwaway container on network."""
        c = self.run_d(WGET + [url], network=network, init=True)
        code = c.wait(timeout=15)["StatusCode"]
        return code, c.logs(stdout=True, stderr=False)


class NetworkTest(Base):
    def test_create_inspect_list_remove(self):
        n = self.net("pynet-a", "10.211.1.0/24", labels={"team": "e2e"},
                     ipam_kw={"gateway": "10.211.1.1", "ip_range": "10.211.1.64/26"})
        self.assertRegex(n.id, r"^[0-9a-f]{64}$")
        n.reload()
        a = n.attrs
        self.assertEqual((a["Name"], a["Driver"], a["Scope"], a["Internal"]), ("pynet-a", "bridge", "local", False))
        self.assertEqual(a["Labels"], {"team": "e2e"})
        self.assertEqual(a["IPAM"]["Config"], [{"Subnet": "10.211.1.0/24", "Gateway": "10.211.1.1",
                                                "IPRange": "10.211.1.64/26"}])
        self.assertEqual(client.networks.get("pynet-a").id, n.id)
        self.assertEqual([x.id for x in client.networks.list(names=["pynet-a"])], [n.id])
        self.assertEqual([x.name for x in client.networks.list(filters={"label": "team=e2e"})], ["pynet-a"])
        names = {x.name for x in client.networks.list()}
        self.assertTrue({"bridge", "host", "none", "pynet-a"} <= names, names)
        with self.assertRaises(docker.errors.APIError) as cm:
            client.networks.create("pynet-a", driver="bridge")
        self.assertEqual(cm.exception.status_code, 409)
        self.assertIn("network with name pynet-a already exists", str(cm.exception))
        n.remove()
        with self.assertRaises(docker.errors.NotFound):
            client.networks.get("pynet-a")

    def test_create_with_sdk_default_pool(self):
        # IPAMPool(subnet=...) sends "Gateway": null, "IPRange": null, "AuxiliaryAddresses": null;
        # dockerd takes the subnet's first address as the gateway.
        n = client.networks.create("pynet-null", driver="bridge",
                                   ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="10.211.10.0/24")]))
        self.nets.append(n)
        n.reload()
        self.assertEqual(n.attrs["IPAM"]["Config"], [{"Subnet": "10.211.10.0/24", "Gateway": "10.211.10.1"}])

    def test_internal_flag(self):
        n = self.net("pynet-int", "10.211.9.0/24", internal=True)
        n.reload()
        self.assertIs(n.attrs["Internal"], True)
        c = self.run_d(["ip", "route"], network="pynet-int")
        self.assertEqual(c.wait(timeout=15)["StatusCode"], 0)
        routes = c.logs().decode()
        self.assertIn("10.211.9.0/24", routes)
        self.assertNotIn("default", routes)

    def test_run_on_network_with_port_and_dns(self):
        n = self.net("pynet-b", "10.211.2.0/24")
        web = self.web("hello-py", name="pyweb", network="pynet-b", ports={"80/tcp": 29080})
        web.reload()
        ip = web.attrs["NetworkSettings"]["Networks"]["pynet-b"]["IPAddress"]
        self.assertTrue(ip.startswith("10.211.2."), ip)
        self.assertEqual(web.ports, {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "29080"}]})
        self.assertEqual(retry(lambda: http_get(29080)), (200, b"hello-py\n"))
        self.assertEqual(self.fetch("pynet-b", "http://pyweb/"), (0, b"hello-py\n"))
        self.assertEqual(self.fetch("pynet-b", f"http://{ip}/"), (0, b"hello-py\n"))
        c = self.run_d(["cat", "/etc/resolv.conf"], network="pynet-b")
        c.wait(timeout=15)
        self.assertIn("nameserver 127.0.0.11", c.logs().decode().splitlines())
        n.reload()
        self.assertIn(web.id, n.attrs["Containers"])
        self.assertEqual([x.id for x in n.containers], [web.id])
        web.stop(timeout=1)
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            http_get(29080, timeout=1)

    def test_connect_disconnect(self):
        n1 = self.net("pynet-c1", "10.211.3.0/24")
        self.net("pynet-c2", "10.211.4.0/24")
        web = self.web("hello-c1", name="pyweb-c1", network="pynet-c1")
        web.reload()
        web_ip = web.attrs["NetworkSettings"]["Networks"]["pynet-c1"]["IPAddress"]
        mover = self.run_d(LONG, name="pymover", network="pynet-c2")
        r = mover.exec_run(WGET + [f"http://{web_ip}/"])
        self.assertNotEqual(r.exit_code, 0)
        self.assertIn(r.exit_code, (1, 143), r)
        n1.connect(mover, aliases=["pymover-alias"])
        mover.reload()
        self.assertEqual(sorted(mover.attrs["NetworkSettings"]["Networks"]), ["pynet-c1", "pynet-c2"])
        self.assertEqual(mover.exec_run("ls /sys/class/net").output.split(), [b"eth0", b"eth1", b"lo"])
        r = retry(lambda: self._ok(mover.exec_run(WGET + ["http://pyweb-c1/"])))
        self.assertEqual(r.output, b"hello-c1\n")
        n1.reload()
        self.assertEqual(sorted(x.name for x in n1.containers), ["pymover", "pyweb-c1"])
        n1.disconnect(mover)
        mover.reload()
        self.assertEqual(list(mover.attrs["NetworkSettings"]["Networks"]), ["pynet-c2"])
        self.assertEqual(mover.exec_run("ls /sys/class/net").output.split(), [b"eth0", b"lo"])
        self.assertIn(mover.exec_run(WGET + [f"http://{web_ip}/"]).exit_code, (1, 143))

    @staticmethod
    def _ok(r):
        if r.exit_code != 0:
            raise AssertionError(f"exit {r.exit_code}: {r.output!r}")
        return r

    def test_fixed_ip_and_conflict(self):
        self.net("pynet-d", "10.211.5.0/24")
        c = self.run_d(LONG, name="pyfixed", network="pynet-d")
        # containers.run takes no IP: connect with ipv4_address on a second network.
        n2 = self.net("pynet-d2", "10.211.6.0/24")
        n2.connect(c, ipv4_address="10.211.6.77")
        c.reload()
        self.assertEqual(c.attrs["NetworkSettings"]["Networks"]["pynet-d2"]["IPAddress"], "10.211.6.77")
        self.assertIn(b"inet 10.211.6.77/24", c.exec_run("ip -4 addr show dev eth1").output)
        other = self.run_d(LONG, network="pynet-d")
        with self.assertRaises(docker.errors.APIError) as cm:
            n2.connect(other, ipv4_address="10.211.6.77")
        self.assertIn("already in use", str(cm.exception).lower())

    def test_remove_in_use_and_prune(self):
        n = self.net("pynet-e", "10.211.7.0/24")
        self.run_d(LONG, network="pynet-e")
        with self.assertRaises(docker.errors.APIError) as cm:
            n.remove()
        self.assertIn("has active endpoints", str(cm.exception))
        unused = client.networks.create("pynet-unused", driver="bridge", ipam=ipam("10.211.8.0/24"))
        self.nets.append(unused)
        pruned = client.networks.prune()
        self.assertEqual(pruned["NetworksDeleted"], ["pynet-unused"])
        with self.assertRaises(docker.errors.NotFound):
            client.networks.get("pynet-unused")
        client.networks.get("pynet-e")


class VolumeTest(Base):
    def test_create_share_remove(self):
        v = client.volumes.create(name="pyvol", driver="local", labels={"k": "v"})
        self.vols.append(v)
        self.assertEqual((v.name, v.attrs["Driver"], v.attrs["Labels"]), ("pyvol", "local", {"k": "v"}))
        self.assertTrue(v.attrs["Mountpoint"].startswith(D.tmp + "/data/"), v.attrs["Mountpoint"])
        out = client.containers.run(IMG, ["sh", "-c", "echo py-data >/data/f; cat /data/f"], remove=True,
                                    volumes={"pyvol": {"bind": "/data", "mode": "rw"}})
        self.assertEqual(out, b"py-data\n")
        reader = self.run_d(["cat", "/data/f"], volumes={"pyvol": {"bind": "/data", "mode": "ro"}})
        self.assertEqual(reader.wait(timeout=15)["StatusCode"], 0)
        self.assertEqual(reader.logs(), b"py-data\n")
        reader.reload()
        self.assertEqual([(m["Type"], m["Name"], m["Destination"], m["RW"]) for m in reader.attrs["Mounts"]],
                         [("volume", "pyvol", "/data", False)])
        ro = self.run_d(["touch", "/data/g"], volumes=["pyvol:/data:ro"])
        self.assertNotEqual(ro.wait(timeout=15)["StatusCode"], 0)
        self.assertIn(b"Read-only file system", ro.logs())
        self.assertEqual([x.name for x in client.volumes.list(filters={"label": "k=v"})], ["pyvol"])
        with self.assertRaises(docker.errors.APIError) as cm:
            v.remove()
        self.assertEqual(cm.exception.status_code, 409)
        self.assertIn("volume is in use", str(cm.exception))
        reader.remove()
        ro.remove()
        self.made = [c for c in self.made if c not in (reader, ro)]
        v.remove()
        with self.assertRaises(docker.errors.NotFound):
            client.volumes.get("pyvol")

    def test_copy_up_and_anonymous(self):
        c = self.run_d(["sh", "-c", "grep ^root: /etc/passwd"], volumes={"pyetc": {"bind": "/etc", "mode": "rw"}})
        self.vols.append(client.volumes.get("pyetc"))
        self.assertEqual(c.wait(timeout=15)["StatusCode"], 0)
        self.assertEqual(c.logs(), b"root:x:0:0:root:/root:/bin/sh\n")
        # Config.Volumes only (what `docker run -v /anon` sends): an anonymous volume.
        cid = client.api.create_container(IMG, "true", volumes=["/anon"])["Id"]
        a = client.containers.get(cid)
        self.made.append(a)
        self.assert_anonymous_removed_with_v(a)

    def test_anonymous_volume_in_binds(self):
        # containers.run(volumes=["/anon"]) sends Binds ["/anon"] (and Config.Volumes):
        # dockerd makes an anonymous volume of a one-part bind spec.
        a = self.run_d(["true"], volumes=["/anon"])
        a.wait(timeout=15)
        self.assert_anonymous_removed_with_v(a)

    def assert_anonymous_removed_with_v(self, a):
        a.reload()
        self.assertEqual([(m["Type"], m["Destination"]) for m in a.attrs["Mounts"]], [("volume", "/anon")])
        name = a.attrs["Mounts"][0]["Name"]
        self.assertRegex(name, r"^[0-9a-f]{64}$")
        client.volumes.get(name)
        a.remove(v=True)
        self.made.remove(a)
        with self.assertRaises(docker.errors.NotFound):
            client.volumes.get(name)

    def test_data_survives_daemon_restart(self):
        v = client.volumes.create(name="pyvol-restart")
        self.vols.append(v)
        client.containers.run(IMG, ["sh", "-c", "echo kept >/d/f"], remove=True, volumes=["pyvol-restart:/d"])
        D.stop()
        D.start()
        out = client.containers.run(IMG, ["cat", "/d/f"], remove=True, volumes=["pyvol-restart:/d"])
        self.assertEqual(out, b"kept\n")

    def test_prune(self):
        keep = client.volumes.create(name="pyvol-keep")
        self.vols.append(keep)
        self.run_d(LONG, volumes=["pyvol-keep:/k"])
        gone = client.volumes.create(name="pyvol-gone")
        self.vols.append(gone)
        res = client.volumes.prune()
        self.assertIn("pyvol-gone", res["VolumesDeleted"])
        self.assertNotIn("pyvol-keep", res["VolumesDeleted"])
        client.volumes.get("pyvol-keep")
        with self.assertRaises(docker.errors.NotFound):
            client.volumes.get("pyvol-gone")


if __name__ == "__main__":
    berthd.main(lambda: D)
