#!/usr/bin/env python3
"""e2e.python_registry: the Docker SDK for Python pulls and pushes through berthd, with
Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.sh, basic auth) and the test
images of tests/fixtures/registry-images.sh. Nothing leaves loopback.

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/python_registry.py [-v]
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import berthd  # noqa: E402 - tests/e2e/lib/berthd.py, the shared harness
from berthd import docker  # noqa: E402

USER, PASSWORD = "sdk", "sdk secret"
D = None
client = None
REG = None
PUSHED = {}


def setUpModule():
    global D, client, REG
    D, client = berthd.start_module("python_registry", "r")
    try:
        REG, out = D.start_registry(USER, PASSWORD)
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "PUSHED":
                PUSHED[parts[1]] = parts[2]
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    global client
    if D is not None:
        D.stop_registry()
    berthd.stop_module(D, client)
    client = None


AUTH = {"username": USER, "password": PASSWORD}


class Registry(unittest.TestCase):
    def test_pull_needs_and_takes_credentials(self):
        with self.assertRaises(docker.errors.APIError) as cm:
            client.images.pull(f"{REG}/test/busybox", tag="v2s2")
        self.assertIn("no basic auth credentials", str(cm.exception))
        img = client.images.pull(f"{REG}/test/busybox", tag="v2s2", auth_config=AUTH)
        self.assertIn(f"{REG}/test/busybox:v2s2", img.tags)
        self.assertIn(f"{REG}/test/busybox@{PUSHED['test/busybox:v2s2']}", img.attrs["RepoDigests"])
        out = client.containers.run(f"{REG}/test/busybox:v2s2", ["echo", "sdk-pulled"], remove=True)
        self.assertEqual(out, b"sdk-pulled\n")

    def test_pull_streams_docker_progress(self):
        lines = list(client.api.pull(f"{REG}/test/multi", tag="latest", auth_config=AUTH, stream=True, decode=True))
        statuses = [m.get("status", "") for m in lines]
        self.assertEqual(statuses[0], "Pulling from test/multi")
        # The busybox layer at the bottom may be there already (another test pulled it).
        self.assertEqual(sum(s in ("Pull complete", "Already exists") for s in statuses), 5)
        self.assertGreaterEqual(sum(s == "Pull complete" for s in statuses), 4)
        self.assertTrue(any(s == "Digest: " + PUSHED["test/multi:latest"] for s in statuses))
        self.assertFalse(any("error" in m for m in lines))

    def test_push_then_pull_back(self):
        img = client.images.get(berthd.IMG)
        img.tag(f"{REG}/sdk/app", tag="1")
        lines = list(client.images.push(f"{REG}/sdk/app", tag="1", auth_config=AUTH, stream=True, decode=True))
        self.assertFalse(any("error" in m for m in lines), lines)
        aux = [m["aux"] for m in lines if "aux" in m]
        self.assertEqual(len(aux), 1)
        self.assertEqual(aux[0]["Tag"], "1")
        self.assertTrue(aux[0]["Digest"].startswith("sha256:"))
        client.images.remove(f"{REG}/sdk/app:1")
        back = client.images.pull(f"{REG}/sdk/app", tag="1", auth_config=AUTH)
        self.assertEqual(back.id, img.id)


if __name__ == "__main__":
    berthd.main(lambda: D)
