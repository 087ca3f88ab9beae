"""What a reload costs the browser by the way it is asked for: CDP `Page.reload` (browser-initiated,
the save -> visible floor) against a page script's `location.reload()`, `location.href = ...` and
`history.go(0)` (renderer-initiated: how every live-reload client reloads). No reload tool runs:
a plain static server on loopback serves a tiny page, the harness asks for each reload in turn
and the new document's navigation timing splits the time.

    Benchmarks/.venv-reload/bin/python Benchmarks/reload/navigation_cost.py [--rounds 15] [--network]

`--network` also enables DevTools' network recording in the tab (what the proxy scenario needs).
Prints medians, ms: trigger (the ask -> the navigation starts), fetch (-> fetchStart), response
(-> the first response byte), parse (-> the marker seen) and total.
"""
import argparse
import asyncio
import functools
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Chromium  # noqa: E402
from probe import Clock, Probe  # noqa: E402

PAGE = ('<!doctype html><html><head><title>t</title><link rel="stylesheet" href="style.css"></head>'
        '<body><h1 id="marker">hello</h1><p>a paragraph</p></body></html>')
SCRIPT = r"""
(() => { if (window.top !== window) return;
  new MutationObserver(() => {
    if (!document.getElementById('marker') || window.__sent) return;
    window.__sent = 1;
    const e = performance.getEntriesByType('navigation')[0];
    window.__nav(JSON.stringify({origin: performance.timeOrigin, fetch: e.fetchStart, response: e.responseStart,
                                 seen: performance.now()}));
  }).observe(document, {subtree: true, childList: true});
})();
"""
WAYS = {
    "Page.reload (CDP)": None,
    "location.reload()": "location.reload()",
    "location.href = location.href": "location.href = location.href",
    "history.go(0)": "history.go(0)",
}


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def main(args):
    folder = tempfile.mkdtemp(prefix="navigation-cost-")
    with open(os.path.join(folder, "index.html"), "w") as f:
        f.write(PAGE)
    with open(os.path.join(folder, "style.css"), "w") as f:
        f.write("h1 { color: teal }")
    server = serve(folder)
    browser = await Chromium.start()
    try:
        tab = await browser.cdp.new_tab()
        # The harness's probe: its pings check that the page clock converts to ours (the trigger column).
        _, page_clock = await (await Probe.attach(tab, network=args.network)).calibrate()
        if not page_clock:
            print("warning: the page clock did not check out against the pings: the trigger column is off")
        offset = Clock.offset if page_clock else Clock.wall_offset()
        await tab.call("Runtime.addBinding", {"name": "__nav"})
        await tab.call("Page.addScriptToEvaluateOnNewDocument", {"source": SCRIPT})

        def report():
            return tab.watch(lambda method, params: method == "Runtime.bindingCalled" and params.get("name") == "__nav")

        first = report()
        await tab.call("Page.navigate", {"url": f"http://127.0.0.1:{server.server_address[1]}/"})
        await tab.wait(first, 15.0, "the first load")
        rows = {way: [] for way in WAYS}
        for _ in range(args.rounds):
            for way, expression in WAYS.items():  # round robin: the machine's load hits every way alike
                await asyncio.sleep(args.gap)
                seen = report()
                start = time.monotonic()
                if expression is None:
                    await tab.call("Page.reload", {"ignoreCache": False})
                else:
                    await tab.call("Runtime.evaluate", {"expression": expression})
                params, _ = await tab.wait(seen, 10.0, f"the page after {way}")
                nav = json.loads(params["payload"])
                trigger = (nav["origin"] / 1000 - offset - start) * 1000
                rows[way].append({"trigger": trigger, "fetch": nav["fetch"], "response": nav["response"],
                                  "parse": nav["seen"] - nav["response"], "total": trigger + nav["seen"]})
        print(f"{args.rounds} reloads each, medians in ms{' (DevTools network recording on)' if args.network else ''}:")
        print(f"{'':32} {'trigger':>8} {'fetch':>8} {'response':>9} {'parse':>8} {'total':>8}")
        for way, samples in rows.items():
            cells = [statistics.median(s[key] for s in samples) for key in ("trigger", "fetch", "response", "parse", "total")]
            print(f"{way:32} " + " ".join(f"{c:8.1f}" if i != 2 else f"{c:9.1f}" for i, c in enumerate(cells)))
    finally:
        await browser.stop()
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds of quiet before each reload")
    parser.add_argument("--network", action="store_true")
    arguments = parser.parse_args()
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    asyncio.run(main(arguments))
