#!/usr/bin/env python3
"""e2e.python_sdk: the Docker SDK for Python (Debian's python3-docker 7.x) drives berthd.

berthd runs on an isolated temp root (/tmp/berth-e2e-python_sdk.XXXXXX: data-root,
exec-root, socket, pidfile, config file) with its own cgroup parent berth-e2e-<pid>;
the busybox image is a local rootfs (tests/fixtures/make-rootfs.sh) imported, nothing
is pulled. The harness (daemon, clean-up) is tests/e2e/lib/berthd.py.

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/python_sdk.py [-v] [TestClass.test_name]
"""
import io
import os
import sys
import tarfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import berthd  # noqa: E402 - tests/e2e/lib/berthd.py, the shared harness
from berthd import IMG, docker  # noqa: E402

D = None
client = None


def setUpModule():
    global D, client
    D, client = berthd.start_module("python_sdk", "p")


def tearDownModule():
    global client
    berthd.stop_module(D, client)
    client = None


def tar_of(files):
    """A tar archive (bytes) of {name: bytes} regular files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = int(time.time())
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def run_out(image, cmd):
    """Output of a detached run (for tests about something else than foreground run)."""
    c = client.containers.run(image, cmd, detach=True)
    try:
        code = c.wait(timeout=20)["StatusCode"]
        return code, c.logs()
    finally:
        c.remove(force=True)


def wait_until(pred, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


class Base(unittest.TestCase):
    def setUp(self):
        self.made = []

    def tearDown(self):
        for c in self.made:
            try:
                c.remove(force=True)
            except docker.errors.NotFound:
                pass

    def run_d(self, cmd, **kw):
        c = client.containers.run(IMG, cmd, detach=True, **kw)
        self.made.append(c)
        return c

    def run_trapped(self, script, **kw):
        """A container whose shell runs `script` once its traps are set: PID 1 ignores a
        signal it has no handler for, so a test signals only after "trapped" is logged."""
        c = self.run_d(["sh", "-c", script], **kw)
        self.assertTrue(wait_until(lambda: b"trapped\n" in c.logs(), timeout=30), "never logged 'trapped'")
        return c

    def long(self, **kw):
        return self.run_trapped('trap "exit 0" TERM; echo trapped; while :; do sleep 0.1; done', **kw)


class SystemTest(Base):
    def test_ping(self):
        self.assertTrue(client.ping())

    def test_version(self):
        v = client.version()
        self.assertEqual(v["ApiVersion"], "1.41")
        self.assertEqual(v["Os"], "linux")
        self.assertTrue(v.get("Version"))

    def test_info(self):
        info = client.info()
        self.assertIn("Containers", info)
        self.assertGreaterEqual(info["Images"], 1)


class ImageTest(Base):
    def test_list_and_get(self):
        img = client.images.get(IMG)
        self.assertIn(IMG, img.tags)
        self.assertRegex(img.id, r"^sha256:[0-9a-f]{64}$")
        self.assertIn(img.id, [i.id for i in client.images.list()])
        self.assertEqual([i.id for i in client.images.list(name="busybox")], [img.id])

    def test_get_missing_image(self):
        with self.assertRaises(docker.errors.ImageNotFound) as cm:
            client.images.get("e2e/nope:1")
        self.assertEqual(cm.exception.status_code, 404)

    def test_save_load_round_trip(self):
        base = client.images.get(IMG)
        c = self.run_d(["sh", "-c", "echo saved >/saved-file"])
        self.assertEqual(c.wait()["StatusCode"], 0)
        img = c.commit(repository="e2e/pysave", tag="v1")
        data = b"".join(img.save(named=True))
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            self.assertIn("manifest.json", tf.getnames())
        c.remove()
        self.made.remove(c)
        client.images.remove("e2e/pysave:v1")
        with self.assertRaises(docker.errors.ImageNotFound):
            client.images.get("e2e/pysave:v1")
        loaded = client.images.load(data)
        self.assertEqual([i.id for i in loaded], [img.id])
        self.assertEqual(client.images.get("e2e/pysave:v1").id, img.id)
        self.assertNotEqual(img.id, base.id)
        self.assertEqual(run_out("e2e/pysave:v1", "cat /saved-file"), (0, b"saved\n"))


class RunTest(Base):
    def test_run_foreground_returns_output(self):
        out = client.containers.run(IMG, ["sh", "-c", "echo hello; echo world"], remove=True)
        self.assertEqual(out, b"hello\nworld\n")

    def test_run_foreground_failure_raises_container_error(self):
        with self.assertRaises(docker.errors.ContainerError) as cm:
            client.containers.run(IMG, ["sh", "-c", "echo oops >&2; exit 3"], remove=True)
        self.assertEqual(cm.exception.exit_status, 3)
        self.assertIn(b"oops", cm.exception.stderr)

    def test_run_detach_logs_wait_state(self):
        c = self.run_d(["sh", "-c", "echo out1; echo err1 >&2; sleep 0.3; exit 4"])
        self.assertRegex(c.id, r"^[0-9a-f]{64}$")
        self.assertEqual(c.wait(timeout=20)["StatusCode"], 4)
        self.assertEqual(c.logs(stdout=True, stderr=False), b"out1\n")
        self.assertEqual(c.logs(stdout=False, stderr=True), b"err1\n")
        self.assertEqual(sorted(c.logs().splitlines()), [b"err1", b"out1"])
        c.reload()
        st = c.attrs["State"]
        self.assertEqual((st["Status"], st["Running"], st["ExitCode"]), ("exited", False, 4))
        self.assertEqual(c.status, "exited")
        self.assertRegex(st["FinishedAt"], r"^\d{4}-\d\d-\d\dT")

    def test_logs_stream_follow_ends_at_exit(self):
        c = self.run_d(["sh", "-c", "for i in 1 2 3; do echo l$i; sleep 0.2; done"])
        got = b"".join(c.logs(stream=True, follow=True))
        self.assertEqual(got, b"l1\nl2\nl3\n")
        self.assertEqual(c.logs(tail=1), b"l3\n")

    def test_attrs_of_running_container(self):
        c = self.long(name="e2e-py-attrs", environment={"E2E": "1"})
        c.reload()
        self.assertEqual(c.name, "e2e-py-attrs")
        self.assertEqual(c.attrs["State"]["Status"], "running")
        self.assertGreater(c.attrs["State"]["Pid"], 0)
        self.assertIn("E2E=1", c.attrs["Config"]["Env"])
        self.assertEqual(c.attrs["Image"], client.images.get(IMG).id)

    def test_inspect_has_log_config(self):
        # containers.run() (foreground) reads HostConfig.LogConfig.Type to decide if it can read logs.
        c = client.containers.create(IMG, "true")
        self.made.append(c)
        self.assertEqual(c.attrs["HostConfig"].get("LogConfig", {}).get("Type"), "json-file")

    def test_run_missing_command_is_api_error(self):
        with self.assertRaises(docker.errors.APIError) as cm:
            client.containers.run(IMG, "nope-cmd", detach=True, name="e2e-py-nope")
        self.assertEqual(cm.exception.status_code, 400)
        self.assertIn("nope-cmd", str(cm.exception))
        client.containers.get("e2e-py-nope").remove(force=True)


class ExecTest(Base):
    def test_exec_run(self):
        c = self.long()
        r = c.exec_run(["sh", "-c", "echo hi; exit 3"])
        self.assertEqual((r.exit_code, r.output), (3, b"hi\n"))
        r = c.exec_run(["sh", "-c", 'echo "$E2E_X $PWD $(id -u)"'], environment={"E2E_X": "y"},
                       workdir="/tmp", user="1000")
        self.assertEqual((r.exit_code, r.output), (0, b"y /tmp 1000\n"))
        r = c.exec_run(["sh", "-c", "echo a; echo b >&2"], demux=True)
        self.assertEqual(r.output, (b"a\n", b"b\n"))

    def test_exec_missing_command(self):
        c = self.long()
        r = c.exec_run("nope-cmd")
        self.assertEqual(r.exit_code, 127)


class LifecycleTest(Base):
    def test_stop_with_trap_exits_0(self):
        c = self.long()
        c.stop(timeout=10)
        c.reload()
        self.assertEqual((c.attrs["State"]["Status"], c.attrs["State"]["ExitCode"]), ("exited", 0))

    def test_stop_sigterm_ignoring_is_killed(self):
        c = self.run_d(["sh", "-c", "while :; do sleep 0.1; done"])
        c.stop(timeout=1)
        self.assertEqual(c.wait(timeout=10)["StatusCode"], 137)

    def test_kill_signal(self):
        c = self.run_trapped('trap "exit 10" USR1; echo trapped; while :; do sleep 0.1; done')
        c.kill(signal="SIGUSR1")
        self.assertEqual(c.wait(timeout=10)["StatusCode"], 10)
        c2 = self.run_d("sleep 1000")
        c2.kill()
        self.assertEqual(c2.wait(timeout=10)["StatusCode"], 137)

    def test_kill_stopped_container_is_409(self):
        c = self.run_d("true")
        c.wait(timeout=10)
        with self.assertRaises(docker.errors.APIError) as cm:
            c.kill()
        self.assertEqual(cm.exception.status_code, 409)

    def test_pause_unpause(self):
        c = self.long()
        c.pause()
        c.reload()
        self.assertEqual(c.status, "paused")
        c.unpause()
        c.reload()
        self.assertEqual(c.status, "running")

    def test_list_all_filters(self):
        run = self.long(name="e2e-py-list-run")
        ex = self.run_d("sh -c 'exit 6'", name="e2e-py-list-exited")
        ex.wait(timeout=10)
        running = [c.id for c in client.containers.list()]
        self.assertIn(run.id, running)
        self.assertNotIn(ex.id, running)
        every = [c.id for c in client.containers.list(all=True)]
        self.assertIn(run.id, every)
        self.assertIn(ex.id, every)
        exited = [c.id for c in client.containers.list(all=True, filters={"status": "exited"})]
        self.assertIn(ex.id, exited)
        self.assertNotIn(run.id, exited)
        self.assertEqual([c.id for c in client.containers.list(all=True, filters={"name": "e2e-py-list-exited"})],
                         [ex.id])
        self.assertEqual([c.id for c in client.containers.list(all=True, filters={"id": run.id[:12]})], [run.id])
        self.assertEqual([c.id for c in client.containers.list(all=True, filters={"exited": "6"})], [ex.id])

    def test_remove_running_and_force(self):
        c = self.long()
        with self.assertRaises(docker.errors.APIError) as cm:
            c.remove()
        self.assertEqual(cm.exception.status_code, 409)
        self.assertIn("You cannot remove a running container", str(cm.exception))
        c.remove(force=True)
        with self.assertRaises(docker.errors.NotFound) as cm:
            client.containers.get(c.id)
        self.assertEqual(cm.exception.status_code, 404)

    def test_restart(self):
        c = self.long()
        c.reload()
        pid = c.attrs["State"]["Pid"]
        c.restart(timeout=5)
        c.reload()
        self.assertEqual(c.status, "running")
        self.assertNotEqual(c.attrs["State"]["Pid"], pid)


class FilesTest(Base):
    def test_put_and_get_archive(self):
        c = self.long()
        self.assertTrue(c.put_archive("/tmp", tar_of({"in.txt": b"from-python\n", "d/nested": b"n\n"})))
        r = c.exec_run("cat /tmp/in.txt /tmp/d/nested")
        self.assertEqual(r.output, b"from-python\nn\n")
        stream, stat = c.get_archive("/tmp/in.txt")
        self.assertEqual((stat["name"], stat["size"]), ("in.txt", 12))
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tf:
            self.assertEqual(tf.extractfile("in.txt").read(), b"from-python\n")
        stream, stat = c.get_archive("/tmp/d")
        self.assertTrue(stat["mode"] & (1 << 31))   # os.ModeDir
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tf:
            self.assertEqual(tf.extractfile("d/nested").read(), b"n\n")

    def test_get_archive_missing_is_404(self):
        c = self.long()
        with self.assertRaises(docker.errors.NotFound) as cm:
            c.get_archive("/no/such/path")
        self.assertEqual(cm.exception.status_code, 404)

    def test_commit_then_run(self):
        c = self.run_d(["sh", "-c", "echo committed >/c-file"])
        c.wait(timeout=10)
        img = c.commit(repository="e2e/pycommit", tag="v1", changes=['ENV E2E_C=yes'])
        self.assertIn("e2e/pycommit:v1", img.tags)
        self.assertEqual(run_out("e2e/pycommit:v1", ["sh", "-c", 'cat /c-file; echo "$E2E_C"']),
                         (0, b"committed\nyes\n"))

    def test_diff_and_export(self):
        c = self.run_d(["sh", "-c", "echo x >/added; echo more >>/etc/motd; rm /etc/group"])
        c.wait(timeout=10)
        diff = {(d["Path"], d["Kind"]) for d in c.diff()}
        for want in [("/added", 1), ("/etc", 0), ("/etc/motd", 0), ("/etc/group", 2)]:
            self.assertIn(want, diff)
        self.assertFalse(any("busybox" in p for p, _ in diff), diff)
        data = b"".join(c.export())
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            names = {n.lstrip("./").rstrip("/") for n in tf.getnames()}
            self.assertIn("bin/busybox", names)
            self.assertIn("added", names)
            self.assertNotIn("etc/group", names)
            self.assertEqual(tf.extractfile(next(m for m in tf.getmembers()
                                                 if m.name.lstrip("./") == "added")).read(), b"x\n")


class TopStatsTest(Base):
    def test_top(self):
        c = self.run_d("sleep 1000")
        top = c.top()
        self.assertIn("PID", top["Titles"])
        cmd = top["Titles"].index("CMD")
        self.assertEqual([p[cmd] for p in top["Processes"]], ["sleep 1000"])

    def test_stats_no_stream(self):
        c = self.run_d("sleep 1000", mem_limit="64m")
        s = c.stats(stream=False)
        self.assertEqual(s["memory_stats"]["limit"], 64 * 1024 * 1024)
        self.assertGreater(s["memory_stats"]["usage"], 0)
        self.assertGreaterEqual(s["pids_stats"]["current"], 1)
        self.assertGreater(s["cpu_stats"]["cpu_usage"]["total_usage"], 0)
        self.assertEqual(s["id"], c.id)


class EventsTest(Base):
    def lifecycle(self):
        since = int(time.time())
        c = self.run_d("sh -c 'exit 2'", name="e2e-py-events")
        self.assertEqual(c.wait(timeout=10)["StatusCode"], 2)
        return since, c

    def test_events_until_ahead(self):
        since, c = self.lifecycle()
        until = int(time.time()) + 2
        evs = list(client.events(since=since, until=until, decode=True, filters={"container": c.id}))
        self.assertEqual([e["Action"] for e in evs], ["create", "start", "die"])
        self.assertEqual({e["Actor"]["ID"] for e in evs}, {c.id})
        self.assertEqual(evs[-1]["Actor"]["Attributes"]["exitCode"], "2")
        self.assertEqual(evs[0]["Actor"]["Attributes"]["name"], "e2e-py-events")

    def test_events_window_in_the_past(self):
        since, c = self.lifecycle()
        until = int(time.time()) + 1
        time.sleep(max(0.0, until - time.time()) + 0.2)
        evs = list(client.events(since=since, until=until, decode=True, filters={"container": c.id}))
        self.assertEqual([e["Action"] for e in evs], ["create", "start", "die"])

    def test_events_live_generator(self):
        gen = client.events(decode=True, filters={"type": "container", "event": ["start", "die"]})
        try:
            c = self.run_d("true")
            got = []
            for e in gen:
                if e["Actor"]["ID"] == c.id:
                    got.append(e["Action"])
                    if e["Action"] == "die":
                        break
            self.assertEqual(got, ["start", "die"])
        finally:
            gen.close()


class ErrorTest(Base):
    def test_no_such_container(self):
        with self.assertRaises(docker.errors.NotFound) as cm:
            client.containers.get("nope")
        self.assertEqual(cm.exception.status_code, 404)
        self.assertIn("No such container: nope", str(cm.exception))

    def test_name_conflict_is_409(self):
        c = self.long(name="e2e-py-conflict")
        with self.assertRaises(docker.errors.APIError) as cm:
            client.containers.create(IMG, "true", name="e2e-py-conflict")
        self.assertEqual(cm.exception.status_code, 409)
        self.assertIn(f'is already in use by container "{c.id}"', str(cm.exception))

    def test_missing_image_on_create_is_404(self):
        with self.assertRaises(docker.errors.ImageNotFound) as cm:
            client.containers.create("e2e/nope:1", "true")
        self.assertEqual(cm.exception.status_code, 404)

    def test_exec_in_stopped_container_is_409(self):
        c = self.run_d("true")
        c.wait(timeout=10)
        with self.assertRaises(docker.errors.APIError) as cm:
            c.exec_run("true")
        self.assertEqual(cm.exception.status_code, 409)


if __name__ == "__main__":
    berthd.main(lambda: D)
