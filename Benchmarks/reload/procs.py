"""Processes in their own process groups, free loopback ports, bounded HTTP polls (asyncio)."""
import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import time


class StartError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In the child before exec: SIGTERM when the harness dies, even by SIGKILL (Linux prctl)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Group:
    """A command started in a new session (so a process group of its own), output to a log file."""

    def __init__(self, argv, cwd, log_path, env=None):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env, preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, lines=12):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace=3.0):
        """SIGTERM to the whole group, SIGKILL after `grace` seconds; reaps the leader."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in the group (children that ignored SIGTERM, a reloader's workers).
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(2.0)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


async def http_get(port, path="/", timeout=2.0, host="127.0.0.1"):
    """(status, body) of one GET on a new connection, or None if it fails or times out."""
    async def once():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            data = await reader.read(-1)
        finally:
            writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        parts = head.split(b" ", 2)
        return int(parts[1]), body
    try:
        return await asyncio.wait_for(once(), timeout)
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        return None


async def wait_http(port, path="/", timeout=15.0, interval=0.01, accept=None, group=None):
    """Polls GET until `accept(status, body)` (default: 200) or raises StartError after `timeout`."""
    accept = accept or (lambda status, body: status == 200)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if group is not None and not group.alive():
            raise StartError(f"{group.argv[0]} exited ({group.proc.returncode}):\n{group.log_tail()}")
        answer = await http_get(port, path, timeout=min(2.0, max(0.05, deadline - time.monotonic())))
        if answer is not None and accept(*answer):
            return time.monotonic()
        await asyncio.sleep(interval)
    tail = f":\n{group.log_tail()}" if group is not None else ""
    raise StartError(f"nothing answered GET {path} on 127.0.0.1:{port} within {timeout} s{tail}")


async def wait_port_free(port, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
        except OSError:
            return True
        await asyncio.sleep(0.02)
    return False
