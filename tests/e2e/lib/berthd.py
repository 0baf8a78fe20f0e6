"""Shared harness for tests/e2e/*.py (imported, not run: CTest only registers
tests/e2e/*.py, so this file under lib/ is not a test of its own).

An isolated berthd: its own temp root /tmp/berth-e2e-<name>.XXXXXX (data-root,
exec-root, socket, pidfile, config file), its own cgroup parent berth-e2e-<pid>,
its own default bridge and nftables table. The busybox image is a local rootfs
(tests/fixtures/make-rootfs.sh) imported, nothing is pulled. Clean-up reuses
tests/interop/lib/common.bash (kill_procs_under, remove_cgroups, unmount_under)
and removes the daemon's bridges (the default one and its networks', found in its
metadata.db) and its nftables table.

    from berthd import Daemon, start_module, stop_module
"""
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
COMMON = os.path.join(ROOT, "tests", "interop", "lib", "common.bash")
MAKE_ROOTFS = os.path.join(ROOT, "tests", "fixtures", "make-rootfs.sh")
IMG = "busybox:latest"

try:
    import docker
    import docker.errors  # noqa: F401 - re-exported for the tests
except ImportError:  # CI must not skip silently
    print("not ok - prerequisite missing: python3-docker (the Docker SDK for Python)")
    sys.exit(1)


def find_berthd():
    b = os.environ.get("BERTHD")
    if b:
        if not os.access(b, os.X_OK):
            sys.exit(f"BERTHD={b} is not an executable")
        return b
    for d in ("build-lead", "build", "build-e2e"):
        c = os.path.join(ROOT, d, "cmd", "berthd", "berthd")
        if os.access(c, os.X_OK):
            return c
    sys.exit("prerequisite missing: berthd (set BERTHD=/path/to/berthd)")


class Daemon:
    """An isolated berthd. name: the temp root's tag; tag: a short suffix (<= 3
    chars) making its bridge (bt<tag><pid>) and nftables table its own."""

    def __init__(self, name, tag="p", extra_args=()):
        self.berthd = find_berthd()
        self.extra_args = list(extra_args)  # more berthd flags (the CRI tests' CNI dirs)
        self.tmp = tempfile.mkdtemp(prefix=f"berth-e2e-{name}.", dir="/tmp")
        self.cg = f"berth-e2e-{os.getpid()}"
        self.bridge = f"bt{tag}{os.getpid()}"
        self.nft_table = f"berth_e2e_{tag}{os.getpid()}"
        self.sock = os.path.join(self.tmp, "berthd.sock")
        self.proc = None
        self.last_log = ""
        for d in ("data", "exec"):
            os.makedirs(os.path.join(self.tmp, d))
        with open(os.path.join(self.tmp, "daemon.json"), "w") as f:
            f.write("{}\n")

    def start(self):
        r, w = os.pipe()
        log = open(os.path.join(self.tmp, "berthd.log"), "ab")
        t = self.tmp
        self.proc = subprocess.Popen(
            [self.berthd, "--data-root", f"{t}/data", "--exec-root", f"{t}/exec", "-H", f"unix://{self.sock}",
             "--pidfile", f"{t}/berthd.pid", "--config-file", f"{t}/daemon.json", "--cgroup-parent", self.cg,
             "--bridge", self.bridge, "--firewall-table", self.nft_table, "-D", "--notify-fd", str(w)]
            + self.extra_args
            + (["--shim-path", os.environ["BERTH_SHIM"]] if os.environ.get("BERTH_SHIM") else []),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(w,))
        os.close(w)
        log.close()
        line = b""
        with os.fdopen(r, "rb") as rf:
            line = rf.readline()   # EOF when berthd exits without a word
        if line.strip() != b"READY":
            raise RuntimeError(f"berthd did not start (notify: {line!r}): {self.log_tail()}")

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.tmp, "berthd.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def bridges(self):
        """The daemon's default bridge and those of its networks."""
        out = [self.bridge]
        try:
            import sqlite3
            db = sqlite3.connect(os.path.join(self.tmp, "data", "metadata.db"))
            try:
                for (doc,) in db.execute("SELECT doc FROM networks"):
                    b = json.loads(doc).get("Berth", {}).get("Bridge", "")
                    if b:
                        out.append(b)
            finally:
                db.close()
        except Exception:  # noqa: BLE001 - no database yet, nothing more to find
            pass
        return sorted(set(out))

    def start_registry(self, user, password):
        """Debian's docker-registry with basic auth in this daemon's temp root, filled with
        tests/fixtures/registry-images.sh's images; returns (host:port, the images script's output)."""
        fixtures = os.path.join(ROOT, "tests", "fixtures")
        out = subprocess.run([os.path.join(fixtures, "registry.sh"), "start", "--dir", os.path.join(self.tmp, "registry"),
                              "--port", "0", "--mode", "auth", "--user", user, "--password", password],
                             check=True, capture_output=True, text=True).stdout
        reg = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("REGISTRY="))
        pushed = subprocess.run([os.path.join(fixtures, "registry-images.sh"), "--registry", reg, "--work",
                                 os.path.join(self.tmp, "images"), "--user", user, "--password", password],
                                check=True, capture_output=True, text=True).stdout
        return reg, pushed

    def stop_registry(self):
        subprocess.run([os.path.join(ROOT, "tests", "fixtures", "registry.sh"), "stop", "--dir",
                        os.path.join(self.tmp, "registry")], check=False, capture_output=True)

    def cleanup(self):
        self.stop()
        self.last_log = self.log_tail()
        links = "; ".join(f"ip link del {shlex.quote(b)} 2>/dev/null" for b in self.bridges())
        script = (f"source {shlex.quote(COMMON)}; T={shlex.quote(self.tmp)}; kill_procs_under \"$T\"; "
                  f"remove_cgroups {shlex.quote(self.cg)}; unmount_under \"$T\"; {links}; "
                  f"nft delete table ip {shlex.quote(self.nft_table)} 2>/dev/null; rm -rf \"$T\"")
        subprocess.run(["bash", "-c", script], check=False)


def start_module(name, tag="p", extra_args=()):
    """setUpModule's work: a started Daemon (extra_args: more berthd flags) with
    busybox:latest imported, and a client. Cleans up and re-raises on failure."""
    if os.geteuid() != 0:
        raise RuntimeError("must run as root")
    mk = MAKE_ROOTFS
    if not os.access(mk, os.X_OK):
        raise RuntimeError(f"prerequisite missing: {mk}")
    d = Daemon(name, tag, extra_args)
    client = None
    try:
        d.start()
        rootfs = os.path.join(d.tmp, "rootfs")
        subprocess.run([mk, rootfs], check=True, stdout=subprocess.DEVNULL)
        tarpath = os.path.join(d.tmp, "busybox.tar")
        subprocess.run(["tar", "-C", rootfs, "-cf", tarpath, "."], check=True)
        client = docker.DockerClient(base_url=f"unix://{d.sock}", timeout=30)
        client.api.import_image(src=tarpath, repository="busybox", tag="latest")
        client.images.get(IMG)
    except BaseException:
        stop_module(d, client)
        raise
    return d, client


def stop_module(d, client):
    """tearDownModule's work: every container removed through berthd, then Daemon.cleanup."""
    if client is not None:
        try:
            for c in client.containers.list(all=True):
                c.remove(force=True)
        except Exception as e:  # noqa: BLE001 - clean-up goes on
            print(f"cleanup: removing containers: {e}", file=sys.stderr)
        client.close()
    if d is not None:
        d.cleanup()


def main(get_daemon):
    """unittest.main, verbose; exit 1 unless some tests ran and all passed (printing
    the berthd log tail then)."""
    import unittest
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    ok = prog.result.wasSuccessful() and prog.result.testsRun > 0
    d = get_daemon()
    if not ok and d is not None:
        print("# last berthd log lines:\n" + d.last_log, file=sys.stderr)
    sys.exit(0 if ok else 1)
