#!/usr/bin/env python3
"""git-https-server.py: a smart-HTTP git server for tailpod's peer tests.

Serves `git http-backend` (the real git server side, as CGI) over TLS on 127.0.0.1, optionally
behind HTTP basic authentication and optionally limited to TLS 1.2. It writes its port to
--port-file once it listens, logs each request line (never the Authorization header) to
--log, and exits by itself after --lifetime seconds so a failed test cannot leave it running.
"""
import argparse
import base64
import hmac
import os
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True, help="directory holding the bare repositories")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--token", help="require basic auth with this password (any user)")
    p.add_argument("--tls12-only", action="store_true")
    p.add_argument("--lifetime", type=int, default=300)
    return p.parse_args()


ARGS = parse_args()
LOG_LOCK = threading.Lock()


def log(line):
    with LOG_LOCK, open(ARGS.log, "a") as f:
        f.write(line + "\n")


class GitHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def authorized(self):
        if not ARGS.token:
            return True
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user_pass = base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
        password = user_pass.split(":", 1)[1] if ":" in user_pass else ""
        return hmac.compare_digest(password.encode(), ARGS.token.encode())

    def deny(self):
        log(f"{self.command} {self.path} 401")
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="tailpod-test"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def run_backend(self):
        if not self.authorized():
            return self.deny()
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": ARGS.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_HTTP_MAX_REQUEST_BUFFER": "100M",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True, timeout=60).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        log(f"{self.command} {path} {status}")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = run_backend
    do_POST = run_backend


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    if ARGS.tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHandler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    threading.Timer(ARGS.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
