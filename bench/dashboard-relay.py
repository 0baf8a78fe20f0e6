#!/usr/bin/env python3
"""What the dashboard's relay costs: the same Docker API calls made directly on berthd's
socket (one connection each, as the dashboard's relay makes them) and through the dashboard
(127.0.0.1, session cookie, a new connection per call as the pages make them), side by side.

    BERTHD=build/cmd/berthd/berthd BERTH_SHIM=build/cmd/berth-shim/berth-shim \
        python3 bench/dashboard-relay.py [N]

Starts an isolated berthd (tests/e2e/lib/berthd.py) with --ui-addr 127.0.0.1:0 and 10
containers; prints the median and p90 of N calls (default 300) of GET /containers/json?all=1
and GET /containers/ID/json each way, and the ratio.
"""
import http.client
import json
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
import berthd  # noqa: E402
from berthd import IMG  # noqa: E402


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def timed(make_conn, path, headers, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        c = make_conn()
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        body = r.read()
        c.close()
        out.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, (r.status, body[:200])
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.9)]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    d, client = berthd.start_module("bench-dashboard", "b", extra_args=["--ui-addr", "127.0.0.1:0"])
    try:
        ids = [client.containers.run(IMG, ["sleep", "3600"], detach=True).id for _ in range(10)]
        c = UnixConnection(d.sock)
        c.request("POST", "/berth/ui/login")
        url = json.loads(c.getresponse().read())["Url"]
        c.close()
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("#token=")[1]
        h = http.client.HTTPConnection("127.0.0.1", port)
        h.request("POST", "/ui/login", body=json.dumps({"token": token}),
                  headers={"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"})
        r = h.getresponse()
        r.read()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        h.close()
        print(f"{'call':<32} {'direct (socket)':>18} {'dashboard relay':>18} {'ratio':>7}")
        for path in ("/containers/json?all=1", f"/containers/{ids[0]}/json"):
            direct = timed(lambda: UnixConnection(d.sock), path, {"Host": "berth"}, n)
            relay = timed(lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=30), "/api" + path,
                          {"Cookie": cookie}, n)
            label = path if len(path) < 32 else "/containers/ID/json"
            print(f"{label:<32} {direct[0]:>8.2f} / {direct[1]:>5.2f} ms {relay[0]:>8.2f} / {relay[1]:>5.2f} ms"
                  f" {relay[0] / direct[0]:>6.2f}x")
        print(f"(median / p90 of {n} calls each; a new connection per call both ways)")
    finally:
        berthd.stop_module(d, client)


if __name__ == "__main__":
    main()
