"""Cluster fan-out benchmark (run.py --cluster, from scripts/bench-fanout.sh --cluster).

K brokers (reload-broker serve --redis) share one redis-server, each with N clients held by
its own load generator process (loadgen --passive: one process per broker, as one process is
capped by its descriptor limit). The driver fires each trigger at one broker (rotating) and
takes trigger -> last receipt over all K x N clients from the generators' CLOCK_MONOTONIC
receipt times (same clock as time.monotonic_ns() here). The baseline is one broker without
--redis and the same N, driven the same way. The Redis hop alone: PUBLISH -> message on a
raw RESP subscriber. Brokers share CPU 0 and generators CPU 1 (taskset): on one 2-core
machine K brokers write one after the other on one core, so K > 1 shows what one core does,
not what K machines do (the extrapolation in BENCHMARKS.md uses the per-broker figures).
Every wait is bounded.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time


def resp(*parts):
    out = f"*{len(parts)}\r\n"
    for p in parts:
        p = str(p)
        out += f"${len(p.encode())}\r\n{p}\r\n"
    return out.encode()


def read_until(sock, marker, deadline):
    data = b""
    while marker not in data:
        sock.settimeout(max(0.01, deadline - time.time()))
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("redis closed the connection")
        data += chunk
    return data


def start_redis(server, folder, port):
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder, "--daemonize", "no"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.time() + 20
    for line in proc.stdout:
        if "Ready to accept connections" in line:
            return proc
        if time.time() > deadline:
            break
    proc.kill()
    raise RuntimeError("redis-server did not start")


def redis_hop(port, samples=500):
    """PUBLISH on one connection -> the message on a subscribed one (microseconds)."""
    sub = socket.create_connection(("127.0.0.1", port), timeout=5)
    pub = socket.create_connection(("127.0.0.1", port), timeout=5)
    sub.sendall(resp("SUBSCRIBE", "hop"))
    read_until(sub, b"hop\r\n:1\r\n", time.time() + 5)
    times = []
    for i in range(samples):
        t0 = time.monotonic_ns()
        pub.sendall(resp("PUBLISH", "hop", f"m{i}"))
        read_until(sub, f"m{i}\r\n".encode(), time.time() + 5)
        times.append((time.monotonic_ns() - t0) / 1000)
        read_until(pub, b"\r\n", time.time() + 5)
    sub.close()
    pub.close()
    times.sort()
    return {"samples": samples, "p50_us": times[len(times) // 2], "p99_us": times[int(len(times) * 0.99)],
            "max_us": times[-1]}


def proc_stats(pid):
    """(RSS KiB, CPU seconds) of a process."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def post_trigger(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST /__reload/trigger HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n".encode())
        s.settimeout(10)
        while s.recv(4096):
            pass


def read_json_line(proc, deadline):
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("load generator ended: " + proc.stderr.read()[-300:])
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("load generator timed out")


def run_config(a, k, n, triggers, with_redis, redis_port, wait_port, stop, free_port):
    brokers, gens = [], []
    try:
        ports = []
        for _ in range(k):
            port = free_port()
            argv = ["taskset", "-c", a.server_cpu, a.broker, "serve", "--port", str(port), "--quiet"]
            if with_redis:
                argv += ["--redis", f"redis://127.0.0.1:{redis_port}", "--redis-channel", "bench"]
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            brokers.append(proc)
            if not wait_port(port, proc):
                raise RuntimeError("broker did not start")
            ports.append(port)
        if with_redis:
            time.sleep(0.3)  # let each broker link (its /health would say; the first trigger also waits below)
        for port in ports:
            gens.append(subprocess.Popen(
                ["taskset", "-c", a.loadgen_cpu, a.loadgen, "--port", str(port), "--n", str(n), "--srcs", str(a.srcs),
                 "--passive", str(triggers), "--timeout", "120"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        deadline = time.time() + 300
        ready = [read_json_line(g, deadline) for g in gens]
        time.sleep(a.settle_ms / 1000)
        before = [proc_stats(b.pid) for b in brokers]
        lat = []
        for t in range(triggers):
            t0 = time.monotonic_ns()
            post_trigger(ports[t % k])
            lines = [read_json_line(g, time.time() + 150) for g in gens]
            last = max(l["last_ns"] for l in lines)
            first = min(l["first_ns"] for l in lines if l["first_ns"]) if any(l["first_ns"] for l in lines) else 0
            lat.append({"received": sum(l["received"] for l in lines), "first_ms": (first - t0) / 1e6 if first else None,
                        "last_ms": (last - t0) / 1e6 if last else None})
        after = [proc_stats(b.pid) for b in brokers]
        summaries = [read_json_line(g, time.time() + 60) for g in gens]
        cpu = sum(x[1] - y[1] for x, y in zip(after, before))
        lasts = sorted(l["last_ms"] for l in lat if l["last_ms"] is not None)
        return {
            "k": k, "n_per_broker": n, "redis": with_redis, "connected": sum(r["ready"] for r in ready),
            "triggers": triggers, "min_received": min(l["received"] for l in lat),
            "last_ms_median": lasts[len(lasts) // 2] if lasts else None, "last_ms_max": lasts[-1] if lasts else None,
            "first_ms_median": sorted(l["first_ms"] or 0 for l in lat)[len(lat) // 2],
            "rss_kib_per_broker": max(x[0] for x in after), "cpu_s_per_trigger": cpu / triggers,
            "open_after": sum(s["open_after"] for s in summaries), "per_trigger": lat,
        }
    finally:
        for g in gens:
            if g.poll() is None:
                g.kill()
            g.wait(timeout=10)
        for b in brokers:
            stop(b)


def main(a, max_n, wait_port, stop, free_port):
    server = a.redis_server or shutil.which("redis-server")
    if not server:
        print("cluster benchmark skipped: redis-server is not installed (scripts/ensure-deps.sh --redis)")
        return 0
    ks = [int(x) for x in a.cluster_brokers.split(",")]
    n = min(max_n, a.cluster_n or max_n)
    triggers = a.latency_triggers
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    print(f"cluster fan-out: N = {n:,} clients per broker, K = {','.join(map(str, ks))}, {triggers} trigger(s) each "
          f"(rotating over the brokers); brokers on CPU {a.server_cpu}, generators on CPU {a.loadgen_cpu}", flush=True)
    rows = []
    failed = False
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    try:
        configs = [(1, False)] + [(k, True) for k in ks]
        for k, with_redis in configs:
            port = free_port()
            redis = start_redis(server, folder, port) if with_redis else None
            try:
                t = time.time()
                r = run_config(a, k, n, triggers, with_redis, port, wait_port, stop, free_port)
                r["wall_s"] = round(time.time() - t, 1)
                if with_redis and k == ks[0]:
                    r["redis_hop"] = redis_hop(port)
            finally:
                if redis:
                    redis.kill()
                    redis.wait(timeout=10)
            with open("/proc/loadavg") as f:
                r["loadavg_after"] = f.read().split()[:3]
            rows.append(r)
            ok = r["min_received"] == k * n and r["connected"] == k * n
            failed |= not ok
            print(f"  K={k} {'redis' if with_redis else 'alone'}: {r['connected']:,} clients, trigger -> last receipt "
                  f"median {r['last_ms_median']:.1f} ms, got {r['min_received']:,}/{k * n:,} ({r['wall_s']} s)", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = ["brokers  redis  clients  first ms  last ms (median)  last ms (max)  got/all  broker RSS MiB  CPU ms/trigger"]
    for r in rows:
        lines.append(f"{r['k']:>7}  {'yes' if r['redis'] else 'no':>5}  {r['connected']:>7,}  {r['first_ms_median']:>8.2f}  "
                     f"{r['last_ms_median']:>16.1f}  {r['last_ms_max']:>13.1f}  {r['min_received']:>7,}  "
                     f"{r['rss_kib_per_broker'] / 1024:>14.1f}  {r['cpu_s_per_trigger'] * 1000:>14.1f}")
    hop = next((r["redis_hop"] for r in rows if "redis_hop" in r), None)
    if hop:
        lines.append(f"redis hop alone (PUBLISH -> subscriber): p50 {hop['p50_us']:.0f} us, p99 {hop['p99_us']:.0f} us "
                     f"({hop['samples']} samples)")
    lines.append(f"load average before: {' '.join(load_before)}; after each: "
                 + "; ".join(' '.join(r['loadavg_after']) for r in rows))
    print("\n" + "\n".join(lines))
    if a.quick:
        print("cluster quick: FAIL (a client missed a reload)" if failed else "cluster quick: OK (every client of every broker got every reload)")
        return 1 if failed else 0
    results = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "Benchmarks", "results")
    os.makedirs(results, exist_ok=True)
    base = os.path.join(results, f"fanout-cluster-{a.tag or time.strftime('%Y%m%d-%H%M%S')}")
    with open(base + ".json", "w") as f:
        json.dump({"n_per_broker": n, "rows": rows, "versions": json.loads(a.versions), "load_before": load_before,
                   "date": time.strftime("%Y-%m-%dT%H:%M:%S")}, f, indent=1)
    with open(base + ".txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("results:", base + ".json", base + ".txt")
    return 1 if failed else 0
