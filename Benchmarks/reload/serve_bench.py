"""Serve scenarios: save index.html / style.css, one tab or two, for one tool.

Each save: read the monotonic clock, write the file (the floor also sends Page.reload), wait
(bounded) for the page to report the new content; the sample is the difference. A save that
times out is recorded as None and the tabs are opened afresh before the next one.
"""
import asyncio
import os
import shutil
import tempfile
import time

import pages
from cdp import CDPError
from probe import Probe, reload_page
from procs import StartError, free_port


class ServeRun:
    def __init__(self, browser, tool, config, log):
        self.browser = browser
        self.tool = tool
        self.config = config
        self.log = log
        self.gap = max(config.gap, tool.min_gap)
        self.last_change = time.monotonic()
        self.floor = tool.name == "floor"

    async def _spaced(self):
        """Keeps saves `gap` apart (python-livereload drops changes within 3 s of a reload)."""
        wait = self.last_change + self.gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _tabs(self, count, marker):
        probes = []
        for _ in range(count):
            tab = await self.browser.new_tab()
            probe = await Probe.attach(tab)
            await probe.open(self.url, marker, timeout=self.config.timeout)
            probes.append(probe)
        # Every tab must be a visible one (its own window): hidden tabs get throttled timers and frames.
        self.visibility = [await probe.tab.evaluate("document.visibilityState") for probe in probes]
        return probes

    async def _close(self, probes):
        for probe in probes:
            await self.browser.close_tab(probe.tab)

    async def _save_html(self, probes, version):
        await self._spaced()
        futures = [probe.expect("text", version) for probe in probes]
        start = time.monotonic()
        pages.write(self.index, pages.html(version), self.config.atomic)
        if self.floor:
            await asyncio.gather(*(reload_page(probe.tab) for probe in probes))
        results = []
        for probe, future in zip(probes, futures):
            try:
                _, received = await probe.wait(future, self.config.timeout, f"{version} on {self.tool.name}")
                results.append((received - start) * 1000)
            except CDPError:
                results.append(None)
        self.last_change = time.monotonic()
        return results, start

    async def html(self, saves, tab_count):
        probes = await self._tabs(tab_count, self.version)
        series = [[] for _ in probes]
        navigations = []
        try:
            for i in range(saves + 1):  # the first save warms up and is not counted
                self.version = f"{'tabs' if tab_count > 1 else 'html'}-{i}"
                results, start = await self._save_html(probes, self.version)
                if None in results:
                    await self._close(probes)
                    probes = await self._tabs(tab_count, self.version)
                    navigations.append(None)
                else:
                    await self._spaced()  # navigations until the next save: a second reload shows here
                    navigations.append(probes[0].navigations(start, time.monotonic()))
                if i > 0:
                    for s, value in zip(series, results):
                        s.append(value)
        finally:
            await self._close(probes)
        return {"samples": series[0], "tabs": series if tab_count > 1 else None,
                "navigations": navigations[1:], "visibility": self.visibility}

    async def css(self, saves):
        probes = await self._tabs(1, self.version)
        probe = probes[0]
        samples, reloaded = [], 0
        try:
            for i in range(saves + 1):
                await self._spaced()
                self.css_index += 1
                color = pages.COLORS[self.css_index % len(pages.COLORS)]
                token = await probe.token()
                future = probe.expect("color", color)
                start = time.monotonic()
                pages.write(self.style, pages.css(self.css_index), self.config.atomic)
                if self.floor:
                    await reload_page(probe.tab)
                try:
                    report, received = await probe.wait(future, self.config.timeout, f"{color} on {self.tool.name}")
                    value = (received - start) * 1000
                except CDPError:
                    report, value = None, None
                self.last_change = time.monotonic()
                if i > 0:
                    samples.append(value)
                    if report is not None and report["token"] != token:
                        reloaded += 1
                if value is None:
                    await self._close([probe])
                    probe = (await self._tabs(1, self.version))[0]
        finally:
            await self._close([probe])
        return {"samples": samples, "reloaded": reloaded}

    async def run(self, scenarios, saves):
        workdir = tempfile.mkdtemp(prefix=f"bench-reload-{self.tool.name}-")
        root = os.path.join(workdir, "site")
        pages.make_site(root)
        self.index = os.path.join(root, "index.html")
        self.style = os.path.join(root, "style.css")
        self.version, self.css_index = "v0", 0
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        results = {}
        group = None
        try:
            group = await self.tool.start(root, port, os.path.join(workdir, "server.log"))
            self.last_change = time.monotonic()  # python-livereload's 3 s count starts at its start
            for scenario in scenarios:
                self.log(f"{self.tool.name}: {scenario}")
                try:
                    if scenario == "serve":
                        results[scenario] = await self.html(saves, 1)
                    elif scenario == "tabs":
                        results[scenario] = await self.html(saves, 2)
                    elif scenario == "css":
                        results[scenario] = await self.css(saves)
                except (CDPError, StartError) as error:
                    results[scenario] = {"error": str(error)}
                    self.log(f"{self.tool.name}: {scenario} failed: {error}")
        except StartError as error:
            for scenario in scenarios:
                results[scenario] = {"error": f"did not start: {error}"}
            self.log(f"{self.tool.name} did not start: {error}")
        finally:
            if group is not None:
                group.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        return results
