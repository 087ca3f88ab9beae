#!/usr/bin/env python3
"""A test app for `reload-broker proxy` (standard library only).

usage: app.py PORT [STATE_DIR]

With STATE_DIR, every start increments STATE_DIR/generation and writes STATE_DIR/pid-N with
"pid pgid"; pages show "generation N". STATE_DIR/start-delay (seconds) delays listening;
STATE_DIR/never-listen makes the app never listen.
"""
import base64
import gzip
import zlib
import hashlib
import json
import os
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from generation import record_start

PORT = int(sys.argv[1])
STATE = sys.argv[2] if len(sys.argv) > 2 else None
GENERATION = record_start(STATE) if STATE else 1

PAGE = ("<!doctype html><html><head><title>app</title></head>"
        "<body><p>generation %d</p></body></html>" % GENERATION).encode()
ASSET = bytes((i * 7 + 3) % 256 for i in range(100_000))
RELEASE_SSE = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    # Every request on stdout, for tests that check what reached the app.
    def log_request(self, code="-", size="-"):
        print("app: request %s %s" % (self.command, self.path), flush=True)

    # Connection lifecycle on stdout, for tests of the proxy's connection pool.
    def setup(self):
        super().setup()
        print("app: connection opened", flush=True)

    def finish(self):
        super().finish()
        print("app: connection closed", flush=True)

    def send(self, status, content_type, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_HEAD(self):
        if self.path == "/head-with-body":
            # A buggy dev server: a body after a HEAD response, a little late (the next request
            # on this connection would get it as its response).
            self.send_response(200)
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.flush()
            threading.Event().wait(0.3)
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED")
            self.wfile.flush()
            return
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/":
            self.send(200, "text/html; charset=utf-8", PAGE, [("X-Generation", str(GENERATION))])
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in [b"<html><head><title>c</title></he", b"ad><body>chunked ", b"body</body></html>"]:
                self.chunk(piece)
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/empty-gzip.html":
            self.send(200, "text/html", b"", [("Content-Encoding", "gzip")])
        elif path == "/truncated-gzip.html":
            whole = gzip.compress(PAGE, mtime=0)
            self.send(200, "text/html", whole[: len(whole) // 2], [("Content-Encoding", "gzip")])
        elif path == "/gzip.html":
            self.send(200, "text/html", gzip.compress(PAGE, mtime=0), [("Content-Encoding", "gzip")])
        elif path == "/cl-and-te":
            # Both framings: the chunked one counts (RFC 9112 §6.3), the Content-Length is wrong.
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n")
        elif path == "/http10.html":
            # An HTTP/1.0 server: no length, the body ends when the connection closes.
            self.close_connection = True
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE)
        elif path == "/bomb.html":
            # 64 MiB of page from ~64 KiB of gzip.
            self.send(200, "text/html", bomb(), [("Content-Encoding", "gzip")])
        elif path == "/zlib.html":
            self.send(200, "text/html", zlib.compress(PAGE), [("Content-Encoding", "deflate")])
        elif path == "/raw-deflate.html":
            # "deflate" as some servers send it: raw deflate without the zlib wrapper.
            packer = zlib.compressobj(wbits=-15)
            self.send(200, "text/html", packer.compress(PAGE) + packer.flush(), [("Content-Encoding", "deflate")])
        elif path == "/asset.bin":
            self.send(200, "application/octet-stream", ASSET, [("ETag", '"a1"')])
        elif path == "/asset.js.gz":
            self.send(200, "text/javascript", gzip.compress(ASSET, mtime=0), [("Content-Encoding", "gzip")])
        elif path == "/json":
            self.send(200, "application/json", b'{"ok": true}')
        elif path == "/headers":
            body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
            self.send(200, "application/json", body)
        elif path == "/big":
            mib = int(self.path.split("mib=")[1]) if "mib=" in self.path else 200
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(mib << 20))
            self.end_headers()
            block = b"x" * (1 << 20)
            for _ in range(mib):
                self.wfile.write(block)
        elif path == "/reset-midway":
            # Promises 1 MiB, sends 64 KiB, then resets the connection (SO_LINGER 0 → RST).
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            self.wfile.write(b"r" * (64 << 10))
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(b"data: first\n\n")
            RELEASE_SSE.wait(10)  # held open until the test asks for the next event
            RELEASE_SSE.clear()
            self.chunk(b"data: second\n\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/sse-release":
            RELEASE_SSE.set()
            self.send(200, "text/plain", b"released")
        elif path == "/ws":
            self.websocket()
        elif path == "/exit":
            self.send(200, "text/plain", b"bye")
            self.wfile.flush()
            os._exit(int(self.path.split("code=")[1]) if "code=" in self.path else 3)
        else:
            self.send(404, "text/html", b"<html><head></head><body>not found</body></html>")

    def do_POST(self):
        if self.path.startswith("/slow-upload"):
            return self.slow_upload()
        if self.path.startswith("/early-413"):
            # Answers without reading the body (after the proxy had to pause the upload), then
            # keeps the connection open, reading nothing.
            threading.Event().wait(1.0)
            self.send(413, "text/plain", b"too large")
            self.wfile.flush()
            threading.Event().wait(60)
            self.close_connection = True
            return
        digest = hashlib.sha256()
        total = 0
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data = self.rfile.read(size)
                digest.update(data)
                total += len(data)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left > 0:
                data = self.rfile.read(min(left, 1 << 16))
                if not data:
                    break
                digest.update(data)
                total += len(data)
                left -= len(data)
        self.send(200, "application/json", json.dumps({"length": total, "sha256": digest.hexdigest()}).encode())

    def slow_upload(self):
        """Reads 10 MiB, then nothing for a while (a slow app), then the rest."""
        left = int(self.headers.get("Content-Length", "0"))
        total = 0
        paused = False
        while left > 0:
            data = self.rfile.read(min(left, 1 << 16))
            if not data:
                break
            total += len(data)
            left -= len(data)
            if not paused and total >= 10 << 20:
                paused = True
                threading.Event().wait(1.0)
        self.send(200, "application/json", json.dumps({"length": total}).encode())

    def websocket(self):
        self.close_connection = True  # after the WebSocket, the connection is done
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.flush()
        # Say hello first (server → client), then echo every frame back unmasked.
        self.frame(0x1, b"hello from app")
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode = head[0] & 0x0F
            length = head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 0x8:
                self.frame(0x8, payload[:2])
                return
            self.frame(opcode, payload)

    def frame(self, opcode, payload):
        if len(payload) < 126:
            header = struct.pack(">BB", 0x80 | opcode, len(payload))
        else:
            header = struct.pack(">BBH", 0x80 | opcode, 126, len(payload))
        self.wfile.write(header + payload)
        self.wfile.flush()


BOMB = []


def bomb():
    if not BOMB:
        page = b"<!doctype html><html><head></head><body>" + b" " * (64 << 20) + b"</body></html>"
        BOMB.append(gzip.compress(page, compresslevel=9, mtime=0))
    return BOMB[0]


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def wait_before_listening():
    """STATE_DIR/start-delay (seconds) makes the start slow; STATE_DIR/never-listen makes it hang."""
    if not STATE:
        return
    if os.path.exists(os.path.join(STATE, "never-listen")):
        print("app: never listening (generation %d)" % GENERATION, flush=True)
        threading.Event().wait()
    try:
        with open(os.path.join(STATE, "start-delay")) as f:
            delay = float(f.read().strip() or "0")
    except FileNotFoundError:
        return
    print("app: starting slowly (generation %d)" % GENERATION, flush=True)
    threading.Event().wait(delay)


if __name__ == "__main__":
    wait_before_listening()
    server = Server(("127.0.0.1", PORT), Handler)
    print("app: listening on %d (generation %d)" % (PORT, GENERATION), flush=True)
    server.serve_forever()
