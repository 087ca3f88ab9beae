"""Serve scenarios: save index.html / style.css, one tab or two, every tool in turn.

All tools serve at once, each its own copy of the site on its own port, and the saves go round
robin (tool A's save 1, tool B's save 1, ..., tool A's save 2, ...), so a change in the machine's
load during the run hits every tool alike. Each save: read the monotonic clock, write the file
(the floor also sends Page.reload), wait (bounded) for the tool's tabs to report the new content;
the sample is the difference (probe.py says which clock). A save that times out is recorded as None and that tool's tabs are
opened afresh before its next save. Between two saves the harness waits `--gap` (0.5 s), and
each tool's own saves are at least its minimum gap apart (3.3 s for python-livereload).
"""
import asyncio
import os
import shutil
import tempfile
import time

import pages
from cdp import CDPError
from probe import Probe, phases, reload_page
from procs import StartError, free_port


class ToolRun:
    """One tool's server, site copy and tabs, and its samples."""

    def __init__(self, browser, tool, config, log):
        self.browser = browser
        self.tool = tool
        self.config = config
        self.log = log
        self.gap = max(config.gap, tool.min_gap)
        self.floor = tool.name == "floor"
        self.group = None
        self.probes = []
        self.results = {}
        self.version, self.css_index = "v0", 0

    async def start(self):
        self.workdir = tempfile.mkdtemp(prefix=f"bench-reload-{self.tool.name}-")
        root = os.path.join(self.workdir, "site")  # watched: the log stays outside it
        pages.make_site(root)
        self.index = os.path.join(root, "index.html")
        self.style = os.path.join(root, "style.css")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.group = await self.tool.start(root, port, os.path.join(self.workdir, "server.log"))
        self.last_change = time.monotonic()  # python-livereload's 3 s count starts at its start

    async def stop(self):
        await self.close_tabs()
        if self.group is not None:
            self.group.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    async def open_tabs(self, count, frames=False):
        self.tab_count, self.frames = count, frames
        self.probes = []
        for _ in range(count):
            probe = await Probe.attach(await self.browser.new_tab())
            self.probes.append(probe)  # closed by close_tabs() even if it never loads
            await probe.open(self.url, self.version, timeout=self.config.timeout)
            if self.frames:
                await probe.check_every_frame()
        # Every tab must be a visible one (its own window): hidden tabs get throttled timers and frames.
        self.visibility = [await probe.tab.evaluate("document.visibilityState") for probe in self.probes]

    async def close_tabs(self):
        for probe in self.probes:
            await self.browser.close_tab(probe.tab)
        self.probes = []

    async def wait_gap(self):
        """Keeps this tool's saves `gap` apart (python-livereload drops changes within 3 s of a reload)."""
        wait = self.last_change + self.gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _recover(self):
        await self.close_tabs()
        await self.open_tabs(self.tab_count, self.frames)

    async def save_html(self, scenario, counted):
        """One save of index.html; appends each tab's time (ms or None) when `counted`."""
        await self.wait_gap()
        self.version = f"{scenario}-{time.monotonic_ns()}"
        futures = [probe.expect("text", self.version) for probe in self.probes]
        start = time.monotonic()
        pages.write(self.index, pages.html(self.version), self.config.atomic)
        if self.floor:
            await asyncio.gather(*(reload_page(probe.tab) for probe in self.probes))
        times, split = [], None
        for probe, future in zip(self.probes, futures):
            try:
                report, seen = await probe.wait(future, self.config.timeout, f"{self.version} on {self.tool.name}")
                times.append((seen - start) * 1000)
                split = split or phases(report, start, seen)
            except CDPError:
                times.append(None)
        self.last_change = time.monotonic()
        if counted:
            result = self.results.setdefault(scenario, {"tabs": [[] for _ in self.probes], "navigations": [],
                                                        "visibility": self.visibility, "phases": []})
            if split:
                result["phases"].append(split)
            for series, value in zip(result["tabs"], times):
                series.append(value)
            self._pending = (result["navigations"], self.probes[0], start)
        if None in times:
            if counted:
                self._pending = None
                result["navigations"].append(None)
            await self._recover()

    def settle(self):
        """Counts the navigations of the last save once the next one is due (a late second reload shows)."""
        pending = getattr(self, "_pending", None)
        if pending:
            navigations, probe, start = pending
            navigations.append(probe.navigations(start, time.monotonic()))
            self._pending = None

    async def save_css(self, counted):
        await self.wait_gap()
        probe = self.probes[0]
        self.css_index += 1
        color = pages.COLORS[self.css_index % len(pages.COLORS)]
        token = await probe.token()
        future = probe.expect("color", color)
        start = time.monotonic()
        pages.write(self.style, pages.css(self.css_index), self.config.atomic)
        if self.floor:
            await reload_page(probe.tab)
        try:
            report, seen = await probe.wait(future, self.config.timeout, f"{color} on {self.tool.name}")
            value = (seen - start) * 1000
        except CDPError:
            report, value = None, None
        self.last_change = time.monotonic()
        if counted:
            result = self.results.setdefault("css", {"samples": [], "reloaded": 0})
            result["samples"].append(value)
            if report is not None and report["token"] != token:
                result["reloaded"] += 1
        if value is None:
            await self._recover()

    def finish(self, scenario):
        result = self.results.get(scenario)
        if result is not None and "tabs" in result:
            result["samples"] = result["tabs"][0]
            if len(result["tabs"]) == 1:
                result["tabs"] = None


async def run(browser, tools, config, scenarios, saves, log):
    """{tool name: {scenario: result}} for every tool, saves interleaved across the tools."""
    runs = [ToolRun(browser, tool, config, log) for tool in tools]
    results = {tool.name: {} for tool in tools}
    live = []
    try:
        for r in runs:
            try:
                await r.start()
                live.append(r)
            except StartError as error:
                log(f"{r.tool.name} did not start: {error}")
                results[r.tool.name] = {s: {"error": f"did not start: {error}"} for s in scenarios}
        for scenario in scenarios:
            log(f"{scenario}: {', '.join(r.tool.name for r in live)}, {saves} saves each, interleaved")
            active = []
            for r in live:
                try:
                    await r.open_tabs(2 if scenario == "tabs" else 1, frames=scenario == "css")
                    active.append(r)
                except (CDPError, StartError) as error:
                    results[r.tool.name][scenario] = {"error": str(error)}
                    log(f"{r.tool.name}: {scenario}: {error}")
            for i in range(saves + 1):  # the first round warms up and is not counted
                for r in list(active):
                    try:
                        r.settle()
                        if scenario == "css":
                            await r.save_css(i > 0)
                        else:
                            await r.save_html(scenario, i > 0)
                    except (CDPError, StartError) as error:
                        results[r.tool.name][scenario] = {"error": str(error)}
                        log(f"{r.tool.name}: {scenario} failed: {error}")
                        active.remove(r)
                    # Quiet time before the next tool's save: what this save set off (a second
                    # reload, a WebSocket reconnecting) must not run during the next measurement.
                    await asyncio.sleep(config.gap)
            for r in active:
                await r.wait_gap()
                r.settle()
                r.finish(scenario)
                if scenario in r.results:
                    results[r.tool.name][scenario] = r.results[scenario]
            for r in live:
                await r.close_tabs()
    finally:
        for r in runs:
            if r.group is not None or getattr(r, "workdir", None):
                await r.stop()
    return results
