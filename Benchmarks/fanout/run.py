#!/usr/bin/env python3
"""Fan-out benchmark driver (run by scripts/bench-fanout.sh, which builds and installs things first).

For each N and each server: start the server pinned to CPU 0, run the C load generator
pinned to CPU 1, collect its JSON, stop the server. Prints one table per N, writes raw
results (JSON + CSV) and a latency CDF plot under Benchmarks/results/.
Standard library only; the plot uses matplotlib when importable, else a hand-written SVG.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, "Benchmarks", "results")

SERVER_ORDER = ["reload-broker", "reload-broker-2t", "floor", "hummingbird", "picows", "websockets", "node-ws", "seed"]
LABELS = {
    "reload-broker": "reload-broker (ours)",
    "reload-broker-2t": "ours --threads 2 (CPU 0-1)",
    "floor": "C epoll floor",
    "hummingbird": "Hummingbird 2 + WS",
    "picows": "picows + uvloop",
    "websockets": "Python websockets",
    "node-ws": "Node.js ws",
    "seed": "seed: fastapi-reloader",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def server_spec(name, a):
    """Returns (argv, loadgen args, ws port) for a server, or None when it is not available."""
    port = free_port()
    if name == "reload-broker":
        argv = [a.broker, "serve", "--port", str(port), "--quiet"]
        lg = ["--path", "/__reload/ws", "--trigger-path", "/__reload/trigger"]
    elif name == "reload-broker-2t":
        # Two loops need two cores: this server runs on CPUs 0-1 and shares CPU 1 with the generator.
        argv = [a.broker, "serve", "--port", str(port), "--quiet", "--threads", "2"]
        lg = ["--path", "/__reload/ws", "--trigger-path", "/__reload/trigger"]
    elif name == "floor":
        argv = [a.floor, str(port)]
        lg = ["--path", "/ws", "--trigger-path", "/trigger"]
    elif name == "hummingbird":
        if not a.hummingbird:
            return None
        argv = [a.hummingbird, str(port)]
        lg = ["--path", "/ws", "--trigger-path", "/trigger"]
    elif name in ("picows", "websockets"):
        if not a.python:
            return None
        tport = free_port()
        argv = [a.python, os.path.join(HERE, "peers", "py_servers.py"), name, str(port), str(tport)]
        lg = ["--path", "/ws", "--trigger-port", str(tport), "--trigger-path", "/trigger"]
    elif name == "node-ws":
        if not a.node:
            return None
        argv = [a.node, os.path.join(HERE, "peers", "node_ws.js"), str(port)]
        lg = ["--path", "/ws", "--trigger-path", "/trigger"]
    elif name == "seed":
        if not a.python:
            return None
        argv = [a.python, "-m", "uvicorn", "seed_app:app", "--app-dir", os.path.join(HERE, "peers"),
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
                "--backlog", "4096"]
        lg = ["--proto", "longpoll", "--path", "/---fastapi-reloader---", "--trigger-path", "/trigger"]
    else:
        raise SystemExit(f"unknown server {name}")
    return argv, lg, port


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def run_one(name, n, a, cdf_file):
    spec = server_spec(name, a)
    if spec is None:
        return {"server": name, "n": n, "skipped": a.skip_reasons.get(name, "not available")}
    argv, lg, port = spec
    log = tempfile.TemporaryFile()
    cpus = "0-1" if name == "reload-broker-2t" else a.server_cpu
    proc = subprocess.Popen(["taskset", "-c", cpus] + argv, stdout=log, stderr=log, cwd=HERE)
    try:
        if not wait_port(port, proc):
            log.seek(0)
            return {"server": name, "n": n, "skipped": "did not start: " + log.read()[-400:].decode(errors="replace")}
        time.sleep(0.2)
        cmd = ["taskset", "-c", a.loadgen_cpu, a.loadgen, "--port", str(port), "--n", str(n), "--pid", str(proc.pid),
               "--srcs", str(a.srcs), "--latency-triggers", str(a.latency_triggers),
               "--sustained-triggers", str(a.sustained_triggers), "--rate", str(a.rate),
               "--settle-ms", str(a.settle_ms), "--idle-ms", str(a.idle_ms)] + lg
        if cdf_file:
            cmd += ["--cdf", cdf_file]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
        if out.returncode != 0 or not out.stdout.strip():
            return {"server": name, "n": n, "skipped": "loadgen failed: " + out.stderr[-400:]}
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["server"] = name
        result["server_alive"] = proc.poll() is None
        return result
    finally:
        stop(proc)
        time.sleep(0.5)


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def ratio(x, y):
    if not x or not y:
        return "-"
    return f"{x / y:.2f}x"


def table(n, rows):
    cols = ["server", "hs/s", "first ms", "p50 ms", "p99 ms", "max ms", "got/N", "sus fr/s", "missed",
            "B/conn", "us/cl/bc", "idle %", "max/floor", "max/ours", "p99/ours", "hs/floor"]
    by = {r["server"]: r for r in rows if "skipped" not in r}
    floor, ours = by.get("floor"), by.get("reload-broker")
    lines = []
    for r in rows:
        if "skipped" in r:
            lines.append([LABELS[r["server"]], "skipped: " + r["skipped"].strip().replace("\n", " ")[:90]])
            continue
        L, S = r["latency"], r["sustained"]
        # CPU per delivered frame over the sustained run (a server that fell behind delivered fewer
        # than triggers x N); the latency triggers' figure when there was no sustained run.
        cpu = S["cpu_us"] / S["frames"] if S["triggers"] and S["frames"] else L["cpu_us_per_client_broadcast"]
        lines.append([
            LABELS[r["server"]], fmt(r["handshakes_per_s"], 0), fmt(L["first_ms"], 2), fmt(L["p50_ms"]), fmt(L["p99_ms"]),
            fmt(L["max_ms"]), f'{L["min_received"]}/{n}', fmt(S["frames_per_s"], 0) if S["triggers"] else "-",
            f'{S["missed"]}/{S["behind"]}' if S["triggers"] else "-",
            fmt(r["rss_per_conn_b"], 0), fmt(cpu, 2), fmt(r["idle_cpu_pct"], 2),
            ratio(L["max_ms"], floor and floor["latency"]["max_ms"]), ratio(L["max_ms"], ours and ours["latency"]["max_ms"]),
            ratio(L["p99_ms"], ours and ours["latency"]["p99_ms"]),
            ratio(r["handshakes_per_s"], floor and floor["handshakes_per_s"]),
        ])
    widths = [max([len(cols[i])] + [len(l[i]) for l in lines if len(l) == len(cols)]) for i in range(len(cols))]
    out = [f"N = {n:,}", "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cols))]
    for l in lines:
        if len(l) == 2:
            out.append(l[0].ljust(widths[0]) + "  " + l[1])
        else:
            out.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(l)))
    return "\n".join(out)


def plot_cdf(cdfs, n, path_base):
    """cdfs: {server: [latency_us sorted]}. Writes PNG (matplotlib) or SVG; returns the path."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(9, 5.5))
        for name, xs in cdfs.items():
            m = len(xs)
            ax.plot([x / 1000 for x in xs], [(i + 1) / m for i in range(m)], label=LABELS[name])
        ax.set_xscale("log")
        ax.set_xlabel("trigger → reload frame received (ms, log scale)")
        ax.set_ylabel("fraction of clients")
        ax.set_title(f"Broadcast latency CDF, {n:,} clients (server on CPU 0, generator on CPU 1)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(path_base + ".png", dpi=110)
        return path_base + ".png"
    except ImportError:
        pass
    import math
    W, H, L, B = 800, 480, 70, 50
    allx = [x for xs in cdfs.values() for x in xs if x > 0]
    lo, hi = math.log10(max(1, min(allx))), math.log10(max(allx) * 1.1)
    colors = ["#d62728", "#000000", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    sx = lambda x: L + (math.log10(max(x, 1)) - lo) / (hi - lo) * (W - L - 20)
    sy = lambda f: H - B - f * (H - B - 30)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W/2}" y="18" text-anchor="middle">Broadcast latency CDF, {n:,} clients</text>']
    for k in range(int(lo), int(hi) + 1):
        x = sx(10 ** k)
        parts.append(f'<line x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{H-B}" stroke="#ddd"/>'
                     f'<text x="{x:.1f}" y="{H-B+15}" text-anchor="middle">{10**k/1000:g} ms</text>')
    for i, (name, xs) in enumerate(cdfs.items()):
        m = len(xs)
        step = max(1, m // 400)
        pts = " ".join(f"{sx(xs[j]):.1f},{sy((j+1)/m):.1f}" for j in list(range(0, m, step)) + [m - 1])
        c = colors[i % len(colors)]
        parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{pts}"/>')
        parts.append(f'<text x="{W-200}" y="{H-B-20-16*i}" fill="{c}">{LABELS[name]}</text>')
    parts.append("</svg>")
    with open(path_base + ".svg", "w") as f:
        f.write("\n".join(parts))
    return path_base + ".svg"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--servers", default=",".join(SERVER_ORDER))
    p.add_argument("--sizes", default="1000,5000,10000,max")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--loadgen", default="")
    p.add_argument("--floor", default="")
    p.add_argument("--broker", default="")
    p.add_argument("--hummingbird", default="")
    p.add_argument("--python", default="")
    p.add_argument("--node", default="")
    p.add_argument("--skip", action="append", default=[], help="name=reason")
    p.add_argument("--versions", default="{}")
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--loadgen-cpu", default="1")
    p.add_argument("--srcs", type=int, default=8)
    p.add_argument("--latency-triggers", type=int, default=3)
    p.add_argument("--sustained-triggers", type=int, default=100)
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--settle-ms", type=int, default=1000)
    p.add_argument("--idle-ms", type=int, default=2000)
    p.add_argument("--cdf-size", type=int, default=10000)
    p.add_argument("--tag", default="")
    p.add_argument("--cluster", action="store_true", help="the cluster benchmark (cluster.py)")
    p.add_argument("--cluster-brokers", default="1,2,4")
    p.add_argument("--cluster-n", type=int, default=0, help="clients per broker (0: as many as the fd limit allows)")
    p.add_argument("--redis-server", default="")
    if len(sys.argv) == 3 and sys.argv[1] == "--render":  # re-print the tables of a results file
        with open(sys.argv[2]) as f:
            data = json.load(f)
        sizes = sorted({r["n"] for r in data["results"]})
        print("\n\n".join(table(n, [r for r in data["results"] if r["n"] == n]) for n in sizes))
        return 0
    a = p.parse_args()
    a.skip_reasons = dict(s.split("=", 1) for s in a.skip)

    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    max_n = min(19000, hard - 1000)
    servers = [s for s in a.servers.split(",") if s]
    for s in servers:
        if s not in LABELS:
            raise SystemExit(f"unknown server {s}; known: {', '.join(SERVER_ORDER)}")
    if a.cluster:
        import cluster
        return cluster.main(a, max_n, wait_port, stop, free_port)
    sizes = [max_n if s == "max" else int(s) for s in a.sizes.split(",")]
    sizes = [min(s, max_n) for s in sizes]

    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    print(f"fan-out benchmark: servers pinned to CPU {a.server_cpu}, load generator to CPU {a.loadgen_cpu} (taskset); "
          f"{a.srcs} source addresses 127.0.0.2-127.0.0.{1 + a.srcs}; fd hard limit {hard}")
    print(f"per server and N: connect N clients, settle {a.settle_ms} ms, idle {a.idle_ms} ms, "
          f"{a.latency_triggers} latency trigger(s) (median by max reported), "
          f"{a.sustained_triggers} triggers at {a.rate:g}/s; load average before: {' '.join(load_before)}")
    print("columns: hs/s handshakes per second; first/p50/p99/max trigger -> reload frame; got/N clients that got it "
          "(worst trigger); sus fr/s sustained frames per second; missed frames/clients behind after the sustained run; "
          "B/conn server RSS per idle connection; us/cl/bc server CPU per client per broadcast (per delivered frame); idle % server CPU "
          "while idle", flush=True)

    all_results = []
    cdf_dir = tempfile.mkdtemp(prefix="fanout-cdf-")
    cdf_n = min(sizes, key=lambda s: abs(s - a.cdf_size))
    failed = False
    tables = []
    for n in sizes:
        rows = []
        for name in [s for s in SERVER_ORDER if s in servers]:
            cdf_file = os.path.join(cdf_dir, f"{name}-{n}.txt") if n == cdf_n else None
            t = time.time()
            r = run_one(name, n, a, cdf_file)
            r["wall_s"] = round(time.time() - t, 1)
            with open("/proc/loadavg") as f:
                r["loadavg_after"] = f.read().split()[:3]
            rows.append(r)
            if "skipped" in r:
                print(f"  {name:14s} N={n}: skipped: {r['skipped'].strip()[:200]}", flush=True)
            else:
                L = r["latency"]
                print(f"  {name:14s} N={n}: connected {r['connected']}, max {L['max_ms']:.1f} ms, "
                      f"received {L['min_received']}/{n} ({r['wall_s']} s)", flush=True)
                if name in ("reload-broker", "floor") and (L["min_received"] < n or r["connected"] < n):
                    failed = True
        all_results += rows
        tables.append(table(n, rows))
        print()
        print(tables[-1], flush=True)
        print()

    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    print(f"load average after: {' '.join(load_after)}")
    if a.quick:
        print("quick: FAIL (a client missed the reload)" if failed else "quick: OK (every client got the reload)")
        return 1 if failed else 0

    os.makedirs(RESULTS, exist_ok=True)
    stamp = a.tag or datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "kernel": platform.release(),
            "nproc": os.cpu_count(), "server_cpu": a.server_cpu, "loadgen_cpu": a.loadgen_cpu,
            "sizes": sizes, "servers": servers, "load_before": load_before, "load_after": load_after,
            "versions": json.loads(a.versions), "command": " ".join(sys.argv)}
    try:
        with open("/proc/cpuinfo") as f:
            meta["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except StopIteration:
        pass
    base = os.path.join(RESULTS, f"fanout-{stamp}")
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, "results": all_results}, f, indent=1)
    with open(base + ".csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["server", "n", "connected", "handshakes_per_s", "first_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms",
                    "min_received", "sus_frames_per_s", "sus_missed", "sus_behind", "rss_per_conn_b",
                    "cpu_us_per_delivered_frame", "idle_cpu_pct", "skipped"])
        for r in all_results:
            if "skipped" in r:
                w.writerow([r["server"], r["n"]] + [""] * 14 + [r["skipped"][:200]])
                continue
            L, S = r["latency"], r["sustained"]
            w.writerow([r["server"], r["n"], r["connected"], r["handshakes_per_s"], L["first_ms"], L["p50_ms"], L["p90_ms"],
                        L["p99_ms"], L["max_ms"], L["min_received"], S["frames_per_s"], S["missed"], S["behind"],
                        r["rss_per_conn_b"], S["cpu_us"] / S["frames"] if S["triggers"] and S["frames"] else
                        L["cpu_us_per_client_broadcast"], r["idle_cpu_pct"], ""])
    with open(base + ".txt", "w") as f:
        f.write("\n\n".join(tables) + "\n")
    cdfs = {}
    for name in [s for s in SERVER_ORDER if s in servers]:
        fn = os.path.join(cdf_dir, f"{name}-{cdf_n}.txt")
        if os.path.exists(fn):
            with open(fn) as f:
                xs = [float(x) for x in f.read().split()]
            if xs:
                cdfs[name] = xs
    if cdfs:
        print("plot:", plot_cdf(cdfs, cdf_n, os.path.join(RESULTS, f"fanout-{stamp}-cdf-{cdf_n}")))
    print("results:", base + ".json", base + ".csv", base + ".txt")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
