"""The kubelet's side of the CRI streaming server's websocket protocol (v5.channel.k8s.io):
one session's channels, and the exit code in its error channel's status."""
import json

import websocket

STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255


def ws_session(url, send, protocol="v5.channel.k8s.io", timeout=30):
    """Connects to a streaming URL, sends (channel, bytes) messages, collects each channel until the close."""
    ws = websocket.create_connection(url.replace("http://", "ws://", 1), subprotocols=[protocol], timeout=timeout)
    for channel, data in send:
        ws.send_binary(bytes([channel]) + data)
    got = {}
    while True:
        opcode, payload = ws.recv_data(control_frame=False)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        got[payload[0]] = got.get(payload[0], b"") + payload[1:]
    ws.close()
    return got


def exit_code(raw):
    """The exit code in the error channel's v1.Status (0 for Success)."""
    status = json.loads(raw)
    if status["status"] == "Success":
        return 0
    return int([c for c in status["details"]["causes"] if c.get("reason") == "ExitCode"][0]["message"])
