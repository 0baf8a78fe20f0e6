#!/usr/bin/env python3
"""stats_api.py SOCKET N: what `docker stats --no-stream` asks a daemon, without the CLI's
500 ms render tick: the running containers' IDs, then GET /containers/ID/stats?stream=false
for every one at once (a thread each, as the CLI's goroutines). Prints the wall time in ms of
the whole, from the list to the last answer; fails unless N containers answered with a
precpu_stats base (a CPU % can be computed)."""
import http.client
import json
import socket
import sys
import threading
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def get(path, url):
    c = UnixConnection(path)
    c.request("GET", url)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        raise SystemExit(f"GET {url}: {r.status} {body[:200]!r}")
    return json.loads(body)


def main():
    sock, want = sys.argv[1], int(sys.argv[2])
    t0 = time.monotonic()
    ids = [c["Id"] for c in get(sock, "/v1.41/containers/json")]
    results = {}

    def one(cid):
        results[cid] = get(sock, f"/v1.41/containers/{cid}/stats?stream=false")

    threads = [threading.Thread(target=one, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = (time.monotonic() - t0) * 1000
    based = [s for s in results.values() if s.get("precpu_stats", {}).get("system_cpu_usage")]
    if len(ids) != want or len(based) != want:
        raise SystemExit(f"{len(ids)} containers listed, {len(based)} with a CPU base; wanted {want}")
    print(f"{ms:.0f}")


main()
