"""Headless Chromium (Debian's `chromium`) in its own process group, on a fresh profile."""
import asyncio
import os
import shutil
import subprocess
import tempfile
import time

from cdp import Browser
from procs import Group, StartError

FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-popup-blocking", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows", "--disable-extensions", "--mute-audio",
    "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
]


def executable():
    for path in [os.environ.get("RELOAD_BROKER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"]:
        if path and os.access(path, os.X_OK):
            return path
    raise StartError("chromium not found: apt-get install chromium (scripts/ensure-deps.sh --browser does it as root)")


def version():
    try:
        return subprocess.run([executable(), "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError, StartError):
        return "unknown"


class Chromium:
    """`await Chromium.start()`; `.cdp` is the browser-level DevTools connection; `await .stop()`."""

    def __init__(self, group, profile, cdp):
        self.group = group
        self.profile = profile
        self.cdp = cdp

    @classmethod
    async def start(cls, timeout=20.0):
        profile = tempfile.mkdtemp(prefix="bench-reload-chromium-")
        group = Group([executable(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                      cwd=profile, log_path=os.path.join(profile, "chromium.log"))
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            if not group.alive():
                break
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[1]:
                    break
            except OSError:
                pass
            await asyncio.sleep(0.05)
        if len(lines) < 2 or not lines[1]:
            tail = group.log_tail()
            group.stop()
            shutil.rmtree(profile, ignore_errors=True)
            raise StartError(f"chromium wrote no DevToolsActivePort within {timeout} s:\n{tail}")
        cdp = await Browser.connect(f"ws://127.0.0.1:{int(lines[0])}{lines[1]}")
        return cls(group, profile, cdp)

    async def stop(self):
        try:
            await asyncio.wait_for(self.cdp.close(), 3.0)
        except Exception:
            pass
        self.group.stop(grace=1.0)
        shutil.rmtree(self.profile, ignore_errors=True)
