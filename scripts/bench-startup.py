#!/usr/bin/env python3
"""Start-up time of reload-broker: from exec to listening, and to the first answered request.

    scripts/bench-startup.py [--runs 50] -- COMMAND...      e.g. -- dist/…/reload-broker
    scripts/bench-startup.py -- venv/bin/python -m reload_broker

Each run starts `COMMAND serve --port 0 --no-watch --quiet`, takes the time when its start-up line
(printed once the socket listens) arrives on the pipe, then the time when GET /__reload/health
has been answered, and stops it with SIGTERM. Prints the median and 90th percentile (ms), and the
child's CPU time per run (start, one request, stop), which a busy machine disturbs less.
"""

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import time


def one_run(command: list[str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    child = subprocess.Popen(
        command + ["serve", "--port", "0", "--no-watch", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"},
    )
    try:
        line = child.stdout.readline().decode()
        listening = time.perf_counter()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            raise RuntimeError(f"no URL in start-up line {line!r}")
        connection = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=5)
        connection.request("GET", "/__reload/health")
        if connection.getresponse().status != 200:
            raise RuntimeError("/health did not answer 200")
        answered = time.perf_counter()
        connection.close()
    finally:
        child.send_signal(signal.SIGTERM)
        child.stdout.close()
    # The child's CPU time for the whole run (start, one request, stop): less sensitive to load.
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    return (listening - start) * 1000, (answered - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    one_run(args.command)  # warm the page cache
    listening, answered, cpu = zip(*(one_run(args.command) for _ in range(max(1, min(args.runs, 1000)))))

    def summary(values):
        ordered = sorted(values)
        return f"median {statistics.median(ordered):.1f} ms, p90 {ordered[int(len(ordered) * 0.9) - 1]:.1f} ms"

    print(f"{' '.join(args.command)} ({len(listening)} runs)")
    print(f"  exec -> listening (start-up line): {summary(listening)}")
    print(f"  exec -> first /health answered:    {summary(answered)}")
    print(f"  CPU time (user+sys) of a run:      {summary(cpu)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
