#!/usr/bin/env python3
"""A TCP relay on 127.0.0.1 in front of a test registry that holds a response mid-way.

    gated_relay.py --upstream 127.0.0.1:PORT --hold-after BYTES --held FIFO

Prints the port it listens on (one line), then relays. The first connection that has sent
the client more than BYTES bytes stops there and "held" is written to FIFO; that connection
stays held until its client goes away, or until SIGUSR1 lets it go on. Every other
connection (and every later one) passes freely. e2e tests use it to kill a pull mid-layer at a known point, without timing anything.
Loopback only; the test kills it when done.
"""
import argparse
import select
import signal
import socket
import threading

args = None
hold_lock = threading.Lock()
held_once = False
released = threading.Event()


def pump_up(client, up):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            up.sendall(data)
    except OSError:
        pass
    finally:
        for s in (client, up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def hold(client):
    """True when released, False when the client went away (a killed daemon)."""
    with open(args.held, "w") as f:
        f.write("held\n")
    while not released.is_set():
        readable, _, _ = select.select([client], [], [], 0.1)
        if readable:
            try:
                if not client.recv(1, socket.MSG_PEEK):
                    return False
            except OSError:
                return False
    return True


def serve(client):
    global held_once
    host, port = args.upstream.rsplit(":", 1)
    up = socket.create_connection((host, int(port)))
    threading.Thread(target=pump_up, args=(client, up), daemon=True).start()
    sent = 0
    try:
        while True:
            data = up.recv(65536)
            if not data:
                break
            with hold_lock:
                gate = not held_once and sent + len(data) > args.hold_after
                if gate:
                    held_once = True
            if gate:
                client.sendall(data[: args.hold_after - sent])
                if not hold(client):
                    break
            client.sendall(data if not gate else data[args.hold_after - sent :])
            sent += len(data)
    except OSError:
        pass
    finally:
        client.close()
        up.close()


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--hold-after", type=int, required=True)
    p.add_argument("--held", required=True)
    args = p.parse_args()
    signal.signal(signal.SIGUSR1, lambda *_: released.set())
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
