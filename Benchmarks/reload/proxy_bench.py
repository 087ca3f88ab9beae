"""Proxy scenario: a FastAPI app; save main.py (the page's text changes) -> the new page visible.

Variants, each in a folder of its own with its own ports, all running at once, their saves
round robin like the serve scenarios (a change of load hits them alike):
  ours-watch   reload-broker proxy --exec 'uvicorn main:app --port A' --watch DIR  (page on the broker)
  ours-reload  reload-broker proxy --exec 'uvicorn main:app --port A --reload'      (the app restarts itself)
  seed         uvicorn main:app --reload with fastapi-reloader 1.3.4 wired in      (page on the app)
  floor        the app's own start-up: exec -> first 200 on GET /, the app started alone (one per round)
"""
import asyncio
import os
import shutil
import tempfile
import time

import pages
from cdp import CDPError
from probe import Probe
from procs import Group, StartError, free_port, wait_http, wait_port_free

VARIANTS = ["ours-watch", "ours-reload", "seed", "floor"]
LABELS = {
    "ours-watch": "proxy --exec uvicorn --watch",
    "ours-reload": "proxy --exec 'uvicorn --reload'",
    "seed": "seed: fastapi-reloader 1.3.4 + uvicorn --reload",
    "floor": "floor: app start-up",
}


class VariantRun:
    def __init__(self, name, browser, config, log):
        self.name = name
        self.browser = browser
        self.config = config
        self.log = log
        self.uvicorn = os.path.join(os.path.dirname(config.python), "uvicorn")
        self.group, self.probe = None, None
        self.result = {"samples": []} if name == "floor" else {"samples": [], "navigations": [], "error_documents": []}
        self.workdir = tempfile.mkdtemp(prefix=f"bench-reload-proxy-{name}-")
        self.folder = os.path.join(self.workdir, "app")  # watched: the logs stay outside it
        os.makedirs(self.folder)
        self.main = os.path.join(self.folder, "main.py")
        self.seed = name == "seed"
        self.version = "app-v0"
        pages.write(self.main, pages.fastapi_app(self.version, self.seed))
        self.app_port, self.broker_port = free_port(), free_port()

    def _command(self):
        app = f"{self.uvicorn} main:app --port {self.app_port}"
        broker = [self.config.broker, "proxy", "--upstream", f"http://127.0.0.1:{self.app_port}",
                  "--port", str(self.broker_port)]
        if self.name == "ours-watch":
            return broker + ["--exec", app, "--watch", self.folder], self.broker_port
        if self.name == "ours-reload":
            return broker + ["--exec", app + " --reload"], self.broker_port
        return [self.uvicorn, "main:app", "--port", str(self.app_port), "--reload"], self.app_port

    async def start(self):
        if self.name == "floor":
            return
        argv, port = self._command()
        self.group = Group(argv, cwd=self.folder, log_path=os.path.join(self.workdir, "server.log"))
        await wait_http(port, "/", timeout=30.0, group=self.group, accept=lambda s, b: s == 200 and b"app-v0" in b)
        self.url = f"http://127.0.0.1:{port}/"
        await self._open()

    async def _open(self):
        if self.probe is not None:
            await self.browser.close_tab(self.probe.tab)
        self.probe = await Probe.attach(await self.browser.new_tab(), network=True)
        await self.probe.open(self.url, self.version, timeout=self.config.proxy_timeout)

    async def save(self, counted):
        if self.name == "floor":
            return await self._startup(counted)
        self.version = f"app-v{time.monotonic_ns()}"
        future = self.probe.expect("text", self.version)
        start = time.monotonic()
        pages.write(self.main, pages.fastapi_app(self.version, self.seed), self.config.atomic)
        try:
            _, seen = await self.probe.wait(future, self.config.proxy_timeout, f"{self.version} ({self.name})")
            value = (seen - start) * 1000
        except CDPError as error:
            self.log(f"proxy {self.name}: {error}\n{self.group.log_tail()}")
            value = None
        await asyncio.sleep(self.config.proxy_gap)  # a late second navigation or error page shows here
        if counted:
            now = time.monotonic()
            self.result["samples"].append(value)
            self.result["navigations"].append(self.probe.navigations(start, now) if value is not None else None)
            self.result["error_documents"] += self.probe.error_documents(start, now)
        if value is None:
            await self._open()

    async def _startup(self, counted):
        """The app alone: from just before exec to its first 200 on GET /, polled every 2 ms."""
        port = free_port()
        start = time.monotonic()
        group = Group([self.uvicorn, "main:app", "--port", str(port)], cwd=self.folder,
                      log_path=os.path.join(self.workdir, "floor.log"))
        try:
            answered = await wait_http(port, "/", timeout=self.config.proxy_timeout, interval=0.002, group=group)
            value = (answered - start) * 1000
        except StartError as error:
            self.log(f"proxy floor: {error}")
            value = None
        finally:
            group.stop()
            await wait_port_free(port)
        if counted:
            self.result["samples"].append(value)
        await asyncio.sleep(self.config.proxy_gap)

    async def stop(self):
        if self.probe is not None:
            await self.browser.close_tab(self.probe.tab)
        if self.group is not None:
            self.group.stop()
        await wait_port_free(self.app_port)
        shutil.rmtree(self.workdir, ignore_errors=True)


async def run(browser, config, variants, saves, log):
    runs = [VariantRun(name, browser, config, log) for name in variants]
    results, active = {}, []
    try:
        for r in runs:
            try:
                await r.start()
                active.append(r)
            except (StartError, CDPError) as error:
                log(f"proxy {r.name} did not start: {error}")
                results[r.name] = {"error": f"did not start: {error}"}
        log(f"proxy: {', '.join(r.name for r in active)}, {saves} saves each, interleaved")
        for i in range(saves + 1):  # the first round warms up and is not counted
            for r in list(active):
                try:
                    await r.save(i > 0)
                except (StartError, CDPError) as error:
                    log(f"proxy {r.name} failed: {error}")
                    results[r.name] = {"error": str(error)}
                    active.remove(r)
        for r in active:
            results[r.name] = r.result
    finally:
        for r in runs:
            await r.stop()
    return {name: results[name] for name in variants if name in results}
