"""A dev server that restarts itself the way `uvicorn --reload` and `flask --debug` do: the parent
binds the listening socket once and keeps it, and replaces only its worker process when a watched
file changes, so the port never refuses connections during a restart.

    python3 reloader.py PORT WATCHED_FILE

Each worker answers GET / with an HTML page naming its generation (1, 2, ...). Standard library only.
"""
import http.server
import os
import signal
import socket
import sys
import time

port, watched = int(sys.argv[1]), sys.argv[2]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(64)


def serve(generation):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"<!doctype html><html><head><title>g{generation}</title></head><body>generation {generation}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Handler, bind_and_activate=False)
    server.socket = listener
    time.sleep(0.3)  # a worker takes a moment to import the app
    server.serve_forever()


def start(generation):
    pid = os.fork()
    if pid == 0:
        serve(generation)
        os._exit(0)
    return pid


def stamp():
    try:
        return os.stat(watched).st_mtime_ns
    except FileNotFoundError:
        return 0


generation = 1
worker = start(generation)
seen = stamp()
signal.signal(signal.SIGTERM, lambda *_: (os.kill(worker, signal.SIGTERM), os._exit(0)))
while True:  # the reloader's own polling, as StatReload does
    time.sleep(0.1)
    now = stamp()
    if now != seen:
        seen = now
        os.kill(worker, signal.SIGTERM)
        os.waitpid(worker, 0)
        generation += 1
        worker = start(generation)
