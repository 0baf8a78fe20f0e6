#!/usr/bin/python3
"""WebSocket exec against berth's CRI streaming server with Debian's
python3-websocket (websocket-client), as Kubernetes' Python client does it:
v4 (binary and base64 channels) and v5 (stdin closed with the close-channel
signal), exit codes read from the error channel's Status.
Usage: ws_exec.py KUBESTREAM_TEST_SERVER"""
import base64
import json
import subprocess
import sys

import websocket

STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255


class Server:
    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("ready "), f"server said {line!r}"
        self.base = line[len("ready "):]

    def url(self, request):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        assert line.startswith(self.base + "/"), f"{request!r}: got {line!r}"
        return "ws" + line[len("http"):]

    def stop(self):
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0, "the test server failed"


def exit_code(raw):
    status = json.loads(raw)
    if status["status"] == "Success":
        return 0
    assert status["reason"] == "NonZeroExitCode", status
    causes = [c for c in status["details"]["causes"] if c.get("reason") == "ExitCode"]
    return int(causes[0]["message"])


def run(url, protocol, send, base64_channels=False):
    """Sends the messages, then collects each channel's data until the server closes."""
    ws = websocket.create_connection(url, subprotocols=[protocol], timeout=30)
    assert ws.getsubprotocol() == protocol, ws.getsubprotocol()
    for channel, data in send:
        if base64_channels:
            ws.send(str(channel) + base64.b64encode(data).decode())
        else:
            ws.send_binary(bytes([channel]) + data)
    got = {}
    while True:
        opcode, payload = ws.recv_data(control_frame=False)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            assert code == 1000, f"close code {code}"
            break
        if base64_channels:
            text = payload.decode()
            channel, data = int(text[0]), base64.b64decode(text[1:])
        else:
            channel, data = payload[0], payload[1:]
        got[channel] = got.get(channel, b"") + data
    ws.close()
    return got


def main():
    server = Server(sys.argv[1])
    try:
        # v5: stdin ends with the close signal; the command sees end of file.
        got = run(server.url("exec c1 0 1 1 1 echo-stdin 2"), "v5.channel.k8s.io",
                  [(STDIN, b"abc"), (STDIN, b"def"), (CLOSE, bytes([STDIN]))])
        assert got.get(STDOUT) == b"abcdef", got
        assert got.get(STDERR) == b"err:6\n", got
        assert exit_code(got[ERROR]) == 2, got
        print("ok websocket_v5_exec_stdin_close")

        got = run(server.url("exec c1 0 1 1 1 line 0"), "v4.channel.k8s.io", [(STDIN, b"one line\n")])
        assert got.get(STDOUT) == b"one line\n" and got.get(STDERR) == b"err\n", got
        assert exit_code(got[ERROR]) == 0, got
        print("ok websocket_v4_exec")

        got = run(server.url("exec c1 0 1 1 1 line 4"), "v4.base64.channel.k8s.io", [(STDIN, b"\x00\xffbin\n")],
                  base64_channels=True)
        assert got.get(STDOUT) == b"\x00\xffbin\n", got
        assert exit_code(got[ERROR]) == 4, got
        print("ok websocket_v4_base64_exec")

        # A used token is gone.
        url = server.url("exec c1 0 0 1 0 exit 0")
        run(url, "v4.channel.k8s.io", [])
        try:
            websocket.create_connection(url, subprotocols=["v4.channel.k8s.io"], timeout=10)
            raise AssertionError("a used token was accepted again")
        except websocket.WebSocketBadStatusException as e:
            assert e.status_code == 404, e.status_code
        print("ok websocket_token_single_use")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
