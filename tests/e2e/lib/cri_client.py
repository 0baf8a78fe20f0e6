"""A CRI client for the tests and the bench, built at run time from the project's
own proto/runtime/v1/api.proto: Debian's grpc_tools (python3-grpc-tools) generates
the Python messages and stubs into a temp dir, which is imported from there. The
same client drives berthd and containerd.

    from cri_client import CriClient, pb
    c = CriClient("/tmp/x/cri.sock")
    c.rt.Version(pb.VersionRequest())
    c.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image="127.0.0.1:5000/busybox:1")))

Needs Debian's python3 (grpc, grpc_tools, protobuf): importing this module under
another interpreter that lacks them (a pyenv shim first on PATH) re-runs the
calling script under /usr/bin/python3, so import it before anything else.
"""
import atexit
import importlib
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PROTO_DIR = os.path.join(ROOT, "proto")
PROTO = "runtime/v1/api.proto"
SYSTEM_PYTHON = "/usr/bin/python3"


def reexec_with_system_python():
    """Re-runs the calling script under Debian's python3 when this one lacks grpc."""
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.access(SYSTEM_PYTHON, os.X_OK):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("not ok - prerequisite missing: python3-grpcio and python3-grpc-tools (Debian's python3)")
    sys.exit(1)


reexec_with_system_python()


def _generate():
    from grpc_tools import protoc
    out = tempfile.mkdtemp(prefix="berth-cri-pb.")
    atexit.register(shutil.rmtree, out, True)
    args = ["grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out}", f"--grpc_python_out={out}",
            os.path.join(PROTO_DIR, PROTO)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"grpc_tools.protoc could not compile {PROTO}")
    sys.path.insert(0, out)
    return (importlib.import_module("runtime.v1.api_pb2"), importlib.import_module("runtime.v1.api_pb2_grpc"))


pb, pb_grpc = _generate()


class CriClient:
    """RuntimeService (.rt) and ImageService (.img) stubs over one channel to a UNIX socket."""

    def __init__(self, socket_path, timeout=60):
        import grpc
        self.grpc = grpc
        self.channel = grpc.insecure_channel(
            f"unix://{socket_path}",
            options=[("grpc.max_receive_message_length", 16 * 1024 * 1024),
                     ("grpc.max_send_message_length", 16 * 1024 * 1024)])
        grpc.channel_ready_future(self.channel).result(timeout=timeout)
        self.rt = pb_grpc.RuntimeServiceStub(self.channel)
        self.img = pb_grpc.ImageServiceStub(self.channel)

    def close(self):
        self.channel.close()
