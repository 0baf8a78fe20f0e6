#!/usr/bin/env python3
"""e2e.python_build: the Docker SDK for Python builds images through berthd's legacy
POST /build (images.build with a path, a fileobj and a custom context), and Debian's
docker-compose 1.29 builds a service's image and runs it. Images are local only.

    BERTHD=build/cmd/berthd/berthd python3 tests/e2e/python_build.py [-v]
"""
import io
import os
import shutil
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import berthd  # noqa: E402 - tests/e2e/lib/berthd.py, the shared harness
from berthd import docker  # noqa: E402

D = None
client = None


def setUpModule():
    global D, client
    D, client = berthd.start_module("python_build", "b")


def tearDownModule():
    global client
    berthd.stop_module(D, client)
    client = None


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class SdkBuild(unittest.TestCase):
    def test_build_from_a_path_with_args_labels_and_the_log(self):
        ctx = os.path.join(D.tmp, "sdk-ctx")
        write(os.path.join(ctx, "app.txt"), "sdk file\n")
        write(os.path.join(ctx, "Dockerfile"),
              "FROM busybox:latest\nARG WHO=nobody\nCOPY app.txt /app.txt\nRUN echo \"hi $WHO\" > /who.txt\n"
              "CMD [\"cat\", \"/who.txt\"]\n")
        image, logs = client.images.build(path=ctx, tag="sdk/app:1", buildargs={"WHO": "sdk"},
                                          labels={"made.by": "sdk"}, rm=True)
        text = "".join(m.get("stream", "") for m in logs)
        self.assertIn("Step 1/6 : FROM busybox:latest", text)  # --label adds a step
        self.assertIn("Step 6/6 : LABEL \"made.by\"='sdk'", text)
        self.assertIn("Successfully tagged sdk/app:1", text)
        self.assertIn("sdk/app:1", image.tags)
        self.assertEqual(image.labels.get("made.by"), "sdk")
        out = client.containers.run("sdk/app:1", remove=True)
        self.assertEqual(out, b"hi sdk\n")
        # Again: every step from the cache, the same image.
        again, logs = client.images.build(path=ctx, tag="sdk/app:2", buildargs={"WHO": "sdk"},
                                          labels={"made.by": "sdk"})
        self.assertEqual(again.id, image.id)
        text = "".join(m.get("stream", "") for m in logs)
        self.assertEqual(text.count(" ---> Using cache\n"), 5, text)

    def test_build_from_a_fileobj_dockerfile(self):
        df = io.BytesIO(b"FROM busybox:latest\nRUN echo from-fileobj > /f.txt\n")
        image, _ = client.images.build(fileobj=df, tag="sdk/fileobj")
        out = client.containers.run("sdk/fileobj", ["cat", "/f.txt"], remove=True)
        self.assertEqual(out, b"from-fileobj\n")

    def test_build_from_a_custom_gzip_context(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, data in (("Dockerfile", b"FROM busybox:latest\nCOPY in.txt /in.txt\n"), ("in.txt", b"custom\n")):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        buf.seek(0)
        image, _ = client.images.build(fileobj=buf, custom_context=True, encoding="gzip", tag="sdk/custom")
        out = client.containers.run("sdk/custom", ["cat", "/in.txt"], remove=True)
        self.assertEqual(out, b"custom\n")

    def test_a_failing_build_raises_with_the_message(self):
        df = io.BytesIO(b"FROM busybox:latest\nRUN exit 5\n")
        with self.assertRaises(docker.errors.BuildError) as cm:
            client.images.build(fileobj=df, tag="sdk/broken")
        self.assertIn("returned a non-zero code: 5", str(cm.exception))
        with self.assertRaises(docker.errors.ImageNotFound):
            client.images.get("sdk/broken")


class ComposeBuild(unittest.TestCase):
    def test_compose_builds_a_service_and_runs_it(self):
        compose = shutil.which("docker-compose")
        self.assertIsNotNone(compose, "docker-compose (Debian's package) is missing")
        proj = os.path.join(D.tmp, "compose")
        write(os.path.join(proj, "web", "Dockerfile"),
              "FROM busybox:latest\nARG GREETING\nRUN echo \"$GREETING\" > /greeting\nCMD [\"cat\", \"/greeting\"]\n")
        write(os.path.join(proj, "docker-compose.yml"),
              "version: '3.7'\nservices:\n  web:\n    build:\n      context: ./web\n      args:\n"
              "        GREETING: composed\n    image: e2e/composed:1\n")
        env = dict(os.environ, DOCKER_HOST=f"unix://{D.sock}", DOCKER_BUILDKIT="0", COMPOSE_DOCKER_CLI_BUILD="0",
                   COMPOSE_PROJECT_NAME="e2ebuild")
        run = lambda *args: subprocess.run([compose, *args], cwd=proj, env=env, capture_output=True, text=True,
                                           timeout=120)
        r = run("build")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Successfully tagged e2e/composed:1", r.stdout + r.stderr)
        r = run("run", "--rm", "-T", "web")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), "composed")
        run("down")


if __name__ == "__main__":
    berthd.main(lambda: D)
