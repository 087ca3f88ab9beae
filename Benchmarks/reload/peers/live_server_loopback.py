"""live-server 0.9.9 (PyPI) as its `live-server` command runs it, but listening on 127.0.0.1 only.

    python live_server_loopback.py --port PORT ROOT

It calls tornado's Application.listen(port) without an address (every interface); the benchmark
talks only to loopback, so this wrapper pins the address and changes nothing else.
"""
import sys

import tornado.web
from live_server.cli import cli

_listen = tornado.web.Application.listen


def listen(self, port, address="127.0.0.1", **kwargs):
    return _listen(self, port, address="127.0.0.1", **kwargs)


tornado.web.Application.listen = listen

if __name__ == "__main__":
    sys.exit(cli())
