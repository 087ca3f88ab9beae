#!/usr/bin/env python3
"""A test app that is slow to stop, for the exec guard's tests (standard library only).

usage: slowstop.py PORT STATE_DIR SECONDS|ignore

On SIGTERM it keeps its port (and keeps answering) for SECONDS more, then exits; with "ignore"
it ignores SIGTERM altogether. Like app.py, every start is recorded in STATE_DIR (generation.py);
pages show "generation N".
"""
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from generation import record_start

PORT = int(sys.argv[1])
STATE = sys.argv[2]
MODE = sys.argv[3]

GENERATION = record_start(STATE)

PAGE = ("<!doctype html><html><head><title>slow</title></head>"
        "<body><p>generation %d</p></body></html>" % GENERATION).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


STOPPING = threading.Event()


def stop_slowly(signum, frame):
    if STOPPING.is_set():  # SIGTERM may come more than once (to the group, and from the guard)
        return
    STOPPING.set()
    print("app: stopping (generation %d)" % GENERATION, flush=True)

    def finish():
        threading.Event().wait(float(MODE))  # a slow shutdown, port still held
        print("app: stopped (generation %d)" % GENERATION, flush=True)
        os._exit(0)

    threading.Thread(target=finish, daemon=True).start()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN if MODE == "ignore" else stop_slowly)
    server = Server(("127.0.0.1", PORT), Handler)
    print("app: listening on %d (generation %d)" % (PORT, GENERATION), flush=True)
    server.serve_forever()
