"""Save -> visible benchmark: reload-broker against its peers and the floors, in headless Chromium.

Run it through scripts/bench-reload.sh, which builds the broker and installs the peers.
"""
import argparse
import asyncio
import contextlib
import datetime
import io
import json
import os
import signal
import subprocess
import statistics
import sys
import time

import browser as chromium
import machine
import report
from probe import Clock, Probe
import proxy_bench
from proxy_bench import LABELS as PROXY_LABELS
import serve_bench
from servers import tools as serve_tools

SERVE_SCENARIOS = ["serve", "css", "tabs"]
ROW_LABELS = {"serve": "save index.html", "css": "save style.css", "tabs": "two tabs"}


def log(message):
    print(f"bench-reload: {message}", file=sys.stderr, flush=True)


class Config:
    def __init__(self, args):
        self.broker = args.broker
        self.alt_broker = args.alt_broker
        self.python = args.python
        self.live_server_python = args.live_server_python
        self.live_server_missing = args.live_server_missing or "not installed"
        self.gap, self.timeout = args.gap, args.timeout
        self.proxy_gap, self.proxy_timeout = args.proxy_gap, args.proxy_timeout
        self.atomic = args.atomic
        self._imports = {}

    def python_ok(self, module):
        if module not in self._imports:
            try:
                ok = subprocess.run([self.python, "-c", f"import {module}"], capture_output=True, timeout=30).returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
            self._imports[module] = ok
        return self._imports[module]

    def why_missing(self, module):
        return f"python package {module} could not be imported from {self.python}"


def parse():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--alt-broker", default=None,
                        help="a second reload-broker binary, tool 'alt' (an A/B of a change in one run)")
    parser.add_argument("--python", required=True, help="the venv's python (peers, uvicorn)")
    parser.add_argument("--live-server-python", default=None)
    parser.add_argument("--live-server-missing", default=None, help="why live-server is skipped")
    parser.add_argument("--saves", type=int, default=7)
    parser.add_argument("--scenarios", default="serve,css,tabs,proxy")
    parser.add_argument("--tools", default="ours,livereload,live-server,floor")
    parser.add_argument("--proxy-variants", default="ours-watch,ours-reload,seed,floor")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between saves (serve)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds a serve save may take")
    parser.add_argument("--proxy-gap", type=float, default=1.0)
    parser.add_argument("--proxy-timeout", type=float, default=20.0)
    parser.add_argument("--atomic", action="store_true", help="save by writing a temporary file and renaming it")
    parser.add_argument("--tag", default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--versions", default="{}")
    args = parser.parse_args()
    if args.quick:
        args.scenarios, args.tools, args.saves = "serve,css", "ours,floor", min(args.saves, 3)
    if args.saves < 1:
        parser.error("--saves must be at least 1")
    return args


def stats_of(result, key="samples", index=None):
    if result is None:
        return None
    if "error" in result:
        return {"error": result["error"]}
    samples = result[key] if index is None else result[key][index]
    return report.summary(samples)


async def main(args):
    # SIGTERM (a CI time-out, `timeout`) unwinds like Ctrl-C, so every server and the browser are stopped.
    task = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    config = Config(args)
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SERVE_SCENARIOS + ["proxy"])
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    available, skipped = serve_tools(config)
    wanted = [t for t in args.tools.split(",") if t]
    unknown = set(wanted) - set(available) - set(skipped)
    if unknown:
        raise SystemExit(f"unknown tools: {', '.join(sorted(unknown))} (known: ours, livereload, live-server, floor)")
    variants = [v for v in args.proxy_variants.split(",") if v]
    if set(variants) - set(PROXY_LABELS):
        raise SystemExit(f"unknown proxy variants: {', '.join(sorted(set(variants) - set(PROXY_LABELS)))}")
    tools = [t for t in wanted if t in available]
    for name in wanted:
        if name in skipped:
            log(f"skipping {name}: {skipped[name]}")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "started": stamp, "machine": machine.describe(), "load_start": machine.load_average(),
        "broker": args.broker, "commit": machine.git_commit(os.path.dirname(os.path.abspath(__file__))),
        "versions": {**json.loads(args.versions), "chromium": chromium.version()},
        "settings": {"saves": args.saves, "gap_s": args.gap, "timeout_s": args.timeout, "atomic": args.atomic,
                     "proxy_gap_s": args.proxy_gap, "proxy_timeout_s": args.proxy_timeout},
        "skipped": {name: skipped[name] for name in wanted if name in skipped},
        "results": {},
    }
    header = (f"machine: {document['machine']}  load average at start: {document['load_start']}\n"
              f"versions: {document['versions']}  broker commit {document['commit']}\n")
    print(header, end="", flush=True)
    began = time.monotonic()
    browser = await chromium.Chromium.start()
    try:
        tab = await browser.cdp.new_tab()
        trip, page_clock = await (await Probe.attach(tab)).calibrate()
        await browser.cdp.close_tab(tab)
        document["probe_round_trip_ms"], document["page_clock"] = round(trip, 2), page_clock
        clock = ("the page's own clock (performance.timeOrigin + now(), checked against 20 pings)" if page_clock
                 else "arrival of the binding's event (the page clock did not check out)")
        probe_line = (f"probe: times are taken from {clock}; ping round trip median {trip:.2f} ms\n")
        header += probe_line
        print(probe_line, end="", flush=True)
        serve_wanted = [s for s in scenarios if s in SERVE_SCENARIOS]
        if serve_wanted and tools:
            document["results"].update(await serve_bench.run(
                browser.cdp, [available[name] for name in tools], config, serve_wanted, args.saves, log))
        if "proxy" in scenarios:
            document["results"]["proxy"] = await proxy_bench.run(browser.cdp, config, variants, args.saves, log)
    finally:
        await browser.stop()
    document["load_end"] = machine.load_average()
    if Clock.lags:
        lags = report.summary(Clock.lags)
        document["report_lag_ms"] = {k: round(v, 2) for k, v in lags.items()}
    document["seconds"] = round(time.monotonic() - began, 1)
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        stem = print_and_save(document, scenarios, tools, available, args)
    print(text.getvalue(), end="")
    with open(stem + ".txt", "w") as f:
        f.write(header + text.getvalue())
    return failures(document)


def failures(document):
    """What makes a --quick run fail: a save that timed out, a scenario that failed, or our
    stylesheet save reloading the page instead of swapping it."""
    found = []
    for name, scenarios in document["results"].items():
        for scenario, result in scenarios.items():
            if "error" in result:
                found.append(f"{name} {scenario}: {result['error'][:200]}")
                continue
            series = result.get("tabs") or [result.get("samples", [])]
            if any(v is None for s in series for v in s):
                found.append(f"{name} {scenario}: a save timed out")
            if name == "ours" and scenario == "css" and result.get("reloaded"):
                found.append(f"ours css: the page reloaded on {result['reloaded']} stylesheet saves")
    return found


def print_and_save(document, scenarios, tools, available, args):
    results = document["results"]
    csv_rows, rows = [], []
    for scenario in [s for s in SERVE_SCENARIOS if s in scenarios]:
        keys = [("samples", 0, "tab 1"), ("tabs", 1, "tab 2")] if scenario == "tabs" else [("samples", None, "")]
        for key, index, suffix in keys:
            cells = {}
            for name in tools:
                result = results.get(name, {}).get(scenario)
                stats = stats_of(result, key, index if key == "tabs" else None)
                if scenario == "css" and stats and result and "reloaded" in result and result["reloaded"]:
                    stats["flag"] = f"[reloaded {result['reloaded']}/{len(result['samples'])}]"
                cells[name] = stats
                if stats:
                    csv_rows.append((scenario + (f"-{suffix.replace(' ', '')}" if suffix else ""), name, stats))
            rows.append((f"{ROW_LABELS[scenario]}{' ' + suffix if suffix else ''}", cells))
    labels = {name: available[name].label for name in tools}
    print()
    if rows:
        print(report.table(f"save -> visible, ms: median (min-max) x ours [{args.saves} saves]", rows, tools, labels, "ours"))
        for name in tools:
            if available[name].note:
                print(f"  {labels[name]}: {available[name].note}")
    split_rows = []
    for scenario in [s for s in SERVE_SCENARIOS if s in scenarios and s != "css"]:
        for name in tools:
            found = (results.get(name, {}).get(scenario) or {}).get("phases") or []
            if found:
                split_rows.append(f"  {ROW_LABELS[scenario]:<18} {labels[name]:<28} " + "  ".join(
                    f"{k} {statistics.median(p[k] for p in found):6.1f}" for k in ("trigger", "request", "parse")))
    if split_rows:
        print("\nwhere the time went (tab 1, medians, ms): trigger = save -> navigation starts; "
              "request = -> first response byte; parse = -> marker seen")
        print("\n".join(split_rows))
    for name, why in document["skipped"].items():
        print(f"  skipped {name}: {why}")
    proxy = results.get("proxy")
    if proxy:
        variants = list(proxy)
        cells = {v: stats_of(proxy[v]) for v in variants}
        for v in variants:
            if cells[v]:
                csv_rows.append(("proxy", v, cells[v]))
            navigations = proxy[v].get("navigations") or []
            odd = [n for n in navigations if n != 1]
            if odd and cells[v]:
                cells[v]["flag"] = f"[navigations {navigations}]"
            if proxy[v].get("error_documents") and cells[v]:
                cells[v]["flag"] = cells[v].get("flag", "") + f"[error pages {proxy[v]['error_documents']}]"
        print()
        print(report.table(f"proxy, FastAPI app: save main.py -> new page, ms [{args.saves} saves]",
                           [("save main.py", cells)], variants, PROXY_LABELS, "ours-watch"))
    for name in tools:
        for scenario, result in results.get(name, {}).items():
            navigations = [n for n in (result.get("navigations") or []) if n is not None]
            if any(n != 1 for n in navigations):
                print(f"  note: {name} {scenario}: main-frame navigations per save {result['navigations']}")
            if result.get("error"):
                print(f"  {name} {scenario} failed: {result['error'][:300]}")
    if document.get("report_lag_ms"):
        lag = document["report_lag_ms"]
        print(f"\nprobe: a report reached the harness {lag['median']:.1f} ms (median; max {lag['max']:.1f}) "
              "after the page saw the change")
    print(f"\nload average at end: {document['load_end']}  ({document['seconds']} s)")
    tag = args.tag or document["started"]
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"reload-{tag}")
    document["summary"] = [{"scenario": s, "tool": t, **st} for s, t, st in csv_rows]
    report.write_files(stem, document, csv_rows)
    print(f"results: {stem}.json {stem}.csv {stem}.txt")
    return stem


if __name__ == "__main__":
    arguments = parse()
    try:
        problems = asyncio.run(main(arguments))
    except chromium.StartError as error:
        log(str(error))
        sys.exit(1)
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted: servers and browser stopped")
        sys.exit(130)
    if arguments.quick and problems:
        for problem in problems:
            log(f"FAILED: {problem}")
        sys.exit(1)
