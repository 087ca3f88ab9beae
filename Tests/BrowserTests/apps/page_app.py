#!/usr/bin/env python3
"""An app for the real-browser proxy tests (standard library only).

usage: page_app.py PORT STATE_DIR COLLECTOR_PORT

Every start increments STATE_DIR/generation and writes STATE_DIR/pid-N ("pid pgid"). GET /
answers an instrumented page of that generation and appends "N" to STATE_DIR/pages (one line
per page served). The page reports to the test's beacon collector at
http://127.0.0.1:COLLECTOR_PORT/beacon: `loaded` (with document.title and the injected client's
instance and epoch), every broker message its client receives (`message`), the client's console
lines (`log`: connected, reloading, …) and `quiet` 400 ms after the last broker message. Every
beacon carries `page` ("/"), `n` (the generation that rendered the page) and `id` (random per load).
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
STATE = sys.argv[2]
COLLECTOR = int(sys.argv[3])

path = os.path.join(STATE, "generation")
try:
    with open(path) as f:
        GENERATION = int(f.read().strip() or "0") + 1
except FileNotFoundError:
    GENERATION = 1
with open(path + ".tmp", "w") as f:
    f.write(str(GENERATION))
os.replace(path + ".tmp", path)
with open(os.path.join(STATE, "pid-%d" % GENERATION), "w") as f:
    f.write("%d %d" % (os.getpid(), os.getpgid(0)))

# The page must not contain the text "data-reload-broker" before </head> (the injector would take
# it as already injected).
PAGE = ("""<!doctype html>
<html><head><meta charset="utf-8"><title>app generation %(generation)d</title>
<script>
(function () {
  const n = %(generation)d, id = Math.random().toString(36).slice(2), page = location.pathname;
  let seen = 0, quiet = 0;
  const beacon = (event, extra) => {
    const q = new URLSearchParams(Object.assign({ event, page, n: String(n), id, seen: String(seen),
      title: document.title }, extra || {}));
    navigator.sendBeacon('http://127.0.0.1:%(collector)d/beacon?' + q);
  };
  const info = console.info;
  console.info = function (...args) {
    info.apply(console, args);
    const s = String(args[0]);
    if (s.startsWith('[reload-broker] ')) beacon('log', { text: s.slice(16) });
  };
  const received = text => {
    seen++;
    beacon('message', { text });
    clearTimeout(quiet);
    quiet = setTimeout(() => beacon('quiet'), 400);
  };
  const SW = window.SharedWorker;
  if (SW) window.SharedWorker = class extends SW {
    constructor(url, options) {
      super(url, options);
      this.port.addEventListener('message', e => { if (e.data && typeof e.data.text === 'string') received(e.data.text); });
    }
  };
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', e => { if (typeof e.data === 'string') received(e.data); });
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    const tag = document.querySelector('script[data-instance]');
    beacon('loaded', { instance: tag ? tag.dataset.instance : '', epoch: tag ? tag.dataset.epoch : '' });
  });
})();
</script>
</head>
<body><p>generation %(generation)d</p></body></html>
""" % {"generation": GENERATION, "collector": COLLECTOR}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        # The broker's readiness probe (HEAD /): answered, not counted as a page.
        self.send(200, "text/html; charset=utf-8", PAGE)

    def do_GET(self):
        if self.path.split("?")[0] == "/":
            with open(os.path.join(STATE, "pages"), "a") as f:
                f.write("%d\n" % GENERATION)
            self.send(200, "text/html; charset=utf-8", PAGE)
        else:
            self.send(404, "text/plain", b"not found\n")


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", PORT), Handler)
    print("page_app: listening on %d (generation %d)" % (PORT, GENERATION), flush=True)
    server.serve_forever()
