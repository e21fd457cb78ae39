#!/usr/bin/env python3
"""connect-proxy.py: an HTTP CONNECT proxy on 127.0.0.1 for tailpod's peer tests.

Tunnels CONNECT requests to loopback targets only (anything else gets 403), logs one line
"CONNECT host:port" per tunnel to --log, writes its port to --port-file once it listens, and
exits by itself after --lifetime seconds.
"""
import argparse
import os
import select
import socket
import threading

p = argparse.ArgumentParser()
p.add_argument("--port-file", required=True)
p.add_argument("--log", required=True)
p.add_argument("--lifetime", type=int, default=120)
ARGS = p.parse_args()


def pump(a, b):
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 30)
        if not ready:
            return
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


def handle(conn):
    with conn:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = conn.recv(1024)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = (line.split(" ") + ["", ""])[:3]
        host, _, port = target.rpartition(":")
        with open(ARGS.log, "a") as f:
            f.write(f"{method} {target}\n")
        if method != "CONNECT" or host not in ("localhost", "127.0.0.1"):
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as up:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pump(conn, up)


def main():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(tmp, ARGS.port_file)
    threading.Timer(ARGS.lifetime, lambda: os._exit(0)).start()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


main()
