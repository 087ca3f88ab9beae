"""What the harness sees of a page: a script run in every new document reports, through a
Runtime binding, the marker element's text and computed colour each time either changes.

It checks on every DOM mutation (so a new document's text is seen the moment the parser
inserts it), on every resource `load` event (a swapped stylesheet applies when it loads) and, in
the stylesheet scenario, on every animation frame as a backstop. Each document draws a random token, so a report tells
whether the page was reloaded.

The time of a report is the page's own clock at the moment it saw the change, converted to the
harness's monotonic clock: Chromium's `performance.timeOrigin + performance.now()` is
CLOCK_MONOTONIC plus the wall clock's offset, which the harness reads too. `calibrate()` checks
the conversion at start (each ping's page time must fall between the harness's send and receive
times); if it does not hold, a report's time is when its `Runtime.bindingCalled` event reaches
the harness instead (later by the event's delivery lag, which is recorded either way).
"""
import json
import statistics
import time

from cdp import CDPError

BINDING = "__benchReport"

PAGE_SCRIPT = r"""
(() => {
  if (window.__benchToken || window.top !== window) return;
  const token = Math.random().toString(36).slice(2);
  window.__benchToken = token;
  let text = null, color = null;
  // The new document's navigation timing (ms after its time origin, the navigation's start),
  // sent with each report: it splits a save's time into trigger, request and parse (phases()).
  const nav = () => {
    const e = performance.getEntriesByType('navigation')[0];
    return e ? {origin: performance.timeOrigin, request: e.requestStart, response: e.responseStart,
                unloadStart: e.unloadEventStart, unloadEnd: e.unloadEventEnd} : null;
  };
  const report = (kind, value) => {
    const at = performance.timeOrigin + performance.now();
    try { window.%(binding)s(JSON.stringify({token, kind, value, at, nav: nav()})); } catch (e) {}
  };
  const check = () => {
    const el = document.getElementById('marker');
    if (!el) return;
    if (el.textContent !== text) { text = el.textContent; report('text', text); }
    const c = getComputedStyle(el).color;
    if (c !== color) { color = c; report('color', c); }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  document.addEventListener('load', check, true);
  // The backstop for a stylesheet applied without a mutation or a load event (CSSOM edits): a
  // check every animation frame, only where the harness asks (it keeps idle tabs idle).
  window.__benchFrames = () => { const frame = () => { check(); requestAnimationFrame(frame); }; requestAnimationFrame(frame); };
})();
""" % {"binding": BINDING}


class Clock:
    """Page time (ms since the epoch, Chromium's clock) -> harness monotonic seconds."""
    offset = None      # wall - monotonic, seconds, once calibrated
    lags = []          # ms from a report's page time to its arrival at the harness

    @classmethod
    def wall_offset(cls):
        a = time.monotonic()
        wall = time.time()
        b = time.monotonic()
        return wall - (a + b) / 2

    @classmethod
    def seen(cls, report, received):
        if cls.offset is None or not isinstance(report.get("at"), (int, float)):
            return received
        at = report["at"] / 1000 - cls.offset
        cls.lags.append((received - at) * 1000)
        return at


def phases(report, start, seen):
    """Where one save's time went, in ms, from the new document's navigation timing: `trigger`
    (save -> the navigation starts: watcher, broadcast, socket, the tab's script), `request`
    (-> the page's first response byte: the old page's beforeunload, the request, the server) and
    `parse` (-> the marker seen). None when the page clock is not calibrated or there is no entry."""
    nav = report.get("nav") if report else None
    if Clock.offset is None or not nav or not isinstance(nav.get("origin"), (int, float)):
        return None
    origin = nav["origin"] / 1000 - Clock.offset
    return {"trigger": (origin - start) * 1000, "request": nav["response"],
            "parse": (seen - origin) * 1000 - nav["response"]}


class Probe:
    """The reports and main-frame navigations of one tab."""

    def __init__(self, tab):
        self.tab = tab

    @classmethod
    async def attach(cls, tab, network=False):
        """`network`: also record the tab's network events (the proxy scenario's error-page count).
        Off elsewhere: DevTools' network instrumentation adds 6-10 ms to every page load here,
        which a developer's browser without DevTools open does not pay."""
        await tab.call("Page.enable")
        await tab.call("Runtime.enable")
        if network:
            await tab.call("Network.enable")
        await tab.call("Runtime.addBinding", {"name": BINDING})
        await tab.call("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_SCRIPT})
        return cls(tab)

    @staticmethod
    def _report(method, params):
        if method != "Runtime.bindingCalled" or params.get("name") != BINDING:
            return None
        try:
            return json.loads(params.get("payload", ""))
        except ValueError:
            return None

    def expect(self, kind, value, token_differs_from=None):
        """A future resolving to (report, received) for the first report of `kind` == `value`."""
        def match(method, params):
            report = self._report(method, params)
            return (report is not None and report["kind"] == kind and report["value"] == value
                    and (token_differs_from is None or report["token"] != token_differs_from))
        return self.tab.watch(match)

    async def wait(self, future, timeout, what):
        """(report, when the page saw it on the harness's monotonic clock)."""
        params, received = await self.tab.wait(future, timeout, what)
        report = json.loads(params["payload"])
        return report, Clock.seen(report, received)

    async def open(self, url, marker, timeout=15.0):
        """Navigates to `url` and waits until the marker shows `marker`; returns the page's token."""
        seen = self.expect("text", marker)
        await self.tab.call("Page.navigate", {"url": url})
        report, _ = await self.wait(seen, timeout, f"{url} to show {marker!r}")
        return report["token"]

    async def calibrate(self, count=20):
        """Pings through the binding: sets Clock.offset if every ping's page time, converted,
        falls between its send and its arrival (1 ms of slack). Returns (median round trip ms,
        whether the page clock is used)."""
        offset = Clock.wall_offset()
        trips, inside = [], 0
        for n in range(count):
            future = self.expect("ping", n)
            start = time.monotonic()
            await self.tab.evaluate(f"window.{BINDING}(JSON.stringify({{token: '', kind: 'ping', value: {n}, "
                                    "at: performance.timeOrigin + performance.now()}))")
            params, received = await self.tab.wait(future, 5.0, "a ping through the binding")
            at = json.loads(params["payload"])["at"] / 1000 - offset
            inside += start - 0.001 <= at <= received + 0.001
            trips.append((received - start) * 1000)
        if inside == count:
            Clock.offset = offset
        return statistics.median(trips), inside == count

    async def check_every_frame(self):
        await self.tab.evaluate("window.__benchFrames && window.__benchFrames()")

    async def token(self):
        return await self.tab.evaluate("window.__benchToken || null")

    async def color(self):
        return await self.tab.evaluate("getComputedStyle(document.getElementById('marker')).color")

    def navigations(self, since, until):
        """Main-frame navigations (new documents) the tab reported between two harness instants."""
        return sum(1 for method, params, received in self.tab.events
                   if method == "Page.frameNavigated" and not params.get("frame", {}).get("parentId")
                   and since <= received <= until)

    def error_documents(self, since, until):
        """Main documents answered with a status >= 500, or that failed, in the interval."""
        bad = []
        for method, params, received in self.tab.events:
            if not since <= received <= until or params.get("type") != "Document":
                continue
            if method == "Network.responseReceived" and params["response"].get("status", 0) >= 500:
                bad.append(params["response"]["status"])
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                bad.append(params.get("errorText", "failed"))
        return bad


async def reload_page(tab):
    """The floor: the browser reloads the page itself (CDP Page.reload)."""
    try:
        await tab.call("Page.reload", {"ignoreCache": False}, timeout=5.0)
    except CDPError:
        pass
