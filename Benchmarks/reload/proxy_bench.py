"""Proxy scenario: a FastAPI app; save main.py (the page's text changes) -> the new page visible.

Variants, each in a fresh folder with its own ports:
  ours-watch   reload-broker proxy --exec 'uvicorn main:app --port A' --watch DIR  (page on the broker)
  ours-reload  reload-broker proxy --exec 'uvicorn main:app --port A --reload'      (the app restarts itself)
  seed         uvicorn main:app --reload with fastapi-reloader 1.3.4 wired in      (page on the app)
  floor        the app's own start-up: exec -> first 200 on GET /, the app started alone
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


class ProxyRun:
    def __init__(self, browser, config, log):
        self.browser = browser
        self.config = config
        self.log = log
        self.uvicorn = os.path.join(os.path.dirname(config.python), "uvicorn")

    def _command(self, variant, app_port, broker_port, folder):
        app = f"{self.uvicorn} main:app --port {app_port}"
        broker = [self.config.broker, "proxy", "--upstream", f"http://127.0.0.1:{app_port}", "--port", str(broker_port)]
        if variant == "ours-watch":
            return broker + ["--exec", app, "--watch", folder], broker_port
        if variant == "ours-reload":
            return broker + ["--exec", app + " --reload"], broker_port
        return [self.uvicorn, "main:app", "--port", str(app_port), "--reload"], app_port

    async def startup_floor(self, folder, workdir, saves):
        """The app alone, started `saves` times: from just before exec to its first 200 on GET /."""
        samples = []
        for _ in range(saves):
            port = free_port()
            start = time.monotonic()
            group = Group([self.uvicorn, "main:app", "--port", str(port)], cwd=folder,
                          log_path=os.path.join(workdir, "floor.log"))
            try:
                answered = await wait_http(port, "/", timeout=self.config.proxy_timeout, interval=0.002, group=group)
                samples.append((answered - start) * 1000)
            except StartError as error:
                self.log(f"proxy floor: {error}")
                samples.append(None)
            finally:
                group.stop()
                await wait_port_free(port)
        return {"samples": samples}

    async def variant(self, name, saves):
        workdir = tempfile.mkdtemp(prefix=f"bench-reload-proxy-{name}-")
        folder = os.path.join(workdir, "app")  # watched: the logs stay outside it
        os.makedirs(folder)
        seed = name == "seed"
        main = os.path.join(folder, "main.py")
        pages.write(main, pages.fastapi_app("app-v0", seed))
        app_port, broker_port = free_port(), free_port()
        group, probe = None, None
        try:
            if name == "floor":
                return await self.startup_floor(folder, workdir, saves)
            argv, page_port = self._command(name, app_port, broker_port, folder)
            group = Group(argv, cwd=folder, log_path=os.path.join(workdir, "server.log"))
            await wait_http(page_port, "/", timeout=30.0, group=group, accept=lambda s, b: s == 200 and b"app-v0" in b)
            tab = await self.browser.new_tab()
            probe = await Probe.attach(tab)
            url = f"http://127.0.0.1:{page_port}/"
            await probe.open(url, "app-v0", timeout=self.config.proxy_timeout)
            samples, navigations, errors = [], [], []
            for i in range(saves + 1):  # the first save warms up and is not counted
                version = f"app-v{i + 1}"
                future = probe.expect("text", version)
                start = time.monotonic()
                pages.write(main, pages.fastapi_app(version, seed), self.config.atomic)
                try:
                    _, received = await probe.wait(future, self.config.proxy_timeout, f"{version} ({name})")
                    value = (received - start) * 1000
                except CDPError as error:
                    self.log(f"proxy {name}: {error}\n{group.log_tail()}")
                    value = None
                await asyncio.sleep(self.config.proxy_gap)  # a late second navigation or error page shows here
                now = time.monotonic()
                if i > 0:
                    samples.append(value)
                    navigations.append(probe.navigations(start, now))
                    errors += probe.error_documents(start, now)
                if value is None:
                    await self.browser.close_tab(probe.tab)
                    probe = await Probe.attach(await self.browser.new_tab())
                    await probe.open(url, version, timeout=self.config.proxy_timeout)
            return {"samples": samples, "navigations": navigations, "error_documents": errors}
        except (StartError, CDPError) as error:
            self.log(f"proxy {name} failed: {error}")
            return {"error": str(error)}
        finally:
            if probe is not None:
                await self.browser.close_tab(probe.tab)
            if group is not None:
                group.stop()
            await wait_port_free(app_port)
            shutil.rmtree(workdir, ignore_errors=True)

    async def run(self, variants, saves):
        results = {}
        for name in variants:
            self.log(f"proxy: {name}")
            results[name] = await self.variant(name, saves)
        return results
