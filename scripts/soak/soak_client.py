#!/usr/bin/env python3
"""Soak client for reload-broker (Python 3 standard library only; driven by scripts/soak.sh).

For --seconds it keeps about --clients WebSocket clients connected to the broker at --port,
opening and closing them at random, while triggers fire several times a second:

  reader      reads everything; lives 1-20 s, then closes (close frame, or abruptly)
  persistent  a reader that lives for the whole run (the final delivery check)
  stuck       handshakes, then never reads (small receive buffer); the broker should drop it
  garbage     handshakes, then sends junk; the broker must close it
  halfclose   handshakes, then shuts down its write side; the broker must close it
  http        keep-alive GET /__reload/health requests, then an abrupt close

Every second it records the broker's RSS (VmRSS) and open descriptors (/proc/PID/fd) to --csv.
Checks (each failure is a violation, exit status 1):
  * every reader saw strictly increasing epochs, and any reader that closed itself had seen every
    epoch a trigger completed more than --grace seconds before it closed (the reload, or the
    coalesced latest epoch);
  * at the end every persistent reader holds the final epoch;
  * every garbage and half-closing client was closed by the broker within 5 s;
  * after all clients are gone the broker's descriptors return to the starting count (+2) and its
    RSS to the starting level within --rss-margin-mb.
"""
import argparse
import asyncio
import base64
import json
import os
import random
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_proc(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


class Stats:
    def __init__(self):
        self.started = {}
        self.violations = []
        self.messages = 0
        self.stuck_dropped = 0
        self.stuck_survived = 0
        self.closed_by_broker = {"garbage": 0, "halfclose": 0}
        self.triggers = 0
        self.trigger_failures = 0
        self.connect_failures = 0
        self.live = 0
        self.peak_live = 0
        # (completion time, epoch) of every trigger, in order.
        self.completed = []

    def violation(self, text):
        if len(self.violations) < 50:
            print(f"soak: VIOLATION: {text}", file=sys.stderr)
        self.violations.append(text)

    def required_epoch(self, before):
        """The latest epoch whose trigger completed before `before`."""
        latest = 0
        for done, epoch in self.completed:
            if done < before:
                latest = max(latest, epoch)
        return latest


async def open_socket(port, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock)


def masked(opcode, payload, fin=True):
    key = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def handshake(port, rcvbuf=None):
    reader, writer = await open_socket(port, rcvbuf)
    key = base64.b64encode(os.urandom(16))
    writer.write(
        b"GET /__reload/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost:3000\r\n\r\n" % (port, key))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake answered {head[:40]!r}")
    import hashlib
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    if b"Sec-WebSocket-Accept: " + accept not in head:
        raise RuntimeError("wrong Sec-WebSocket-Accept")
    return reader, writer


async def read_frame(reader):
    """One server frame: (opcode, payload). Raises IncompleteReadError at EOF."""
    b0, b1 = await reader.readexactly(2)
    if b1 & 0x80:
        raise RuntimeError("server frame is masked")
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await reader.readexactly(8))[0]
    return b0 & 0x0F, await reader.readexactly(n)


def close_quietly(writer):
    try:
        writer.transport.abort()
    except Exception:
        pass


async def reader_client(stats, port, lifetime, name):
    try:
        reader, writer = await handshake(port)
    except Exception:
        stats.connect_failures += 1
        return None
    stats.live += 1
    stats.peak_live = max(stats.peak_live, stats.live)
    state = {"epoch": None, "hello": None, "messages": 0}
    deadline = time.monotonic() + lifetime

    async def consume():
        while True:
            opcode, payload = await read_frame(reader)
            if opcode == 0x9:
                writer.write(masked(0xA, payload))
            elif opcode == 0x8:
                return "closed"
            elif opcode == 0x1:
                message = json.loads(payload)
                epoch = message.get("epoch")
                stats.messages += 1
                state["messages"] += 1
                if message.get("type") == "hello":
                    state["hello"] = epoch
                elif epoch is not None and state["epoch"] is not None and epoch <= state["epoch"]:
                    stats.violation(f"{name}: epoch {epoch} after {state['epoch']}")
                if epoch is not None:
                    state["epoch"] = epoch

    task = asyncio.ensure_future(consume())
    try:
        remaining = deadline - time.monotonic()
        if lifetime is None:
            await task
        else:
            done, _ = await asyncio.wait({task}, timeout=max(0, remaining))
            if task in done:
                result = task.result()
                stats.violation(f"{name}: connection ended early ({result})")
                return state
        return state
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        stats.violation(f"{name}: connection lost ({error!r})")
        return state
    finally:
        stats.live -= 1
        if not task.done():
            task.cancel()
        if lifetime is not None:
            # The delivery check: everything triggered well before now must have arrived.
            required = stats.required_epoch(time.monotonic() - stats.grace)
            hello = state["hello"] or 0
            if required > hello and (state["epoch"] or 0) < required:
                stats.violation(f"{name}: closed at epoch {state['epoch']} but {required} was triggered "
                                f"more than {stats.grace}s earlier")
            if random.random() < 0.5:
                try:
                    writer.write(masked(0x8, struct.pack(">H", 1000)))
                    await asyncio.wait_for(writer.drain(), 1)
                except Exception:
                    pass
            close_quietly(writer)


async def persistent_client(stats, port, name, stop_event, results):
    try:
        reader, writer = await handshake(port)
    except Exception:
        stats.connect_failures += 1
        stats.violation(f"{name}: could not connect")
        return
    stats.live += 1
    state = {"epoch": None}
    results[name] = state
    try:
        while True:
            opcode, payload = await read_frame(reader)
            if opcode == 0x9:
                writer.write(masked(0xA, payload))
            elif opcode == 0x8:
                stats.violation(f"{name}: persistent client got a close frame")
                return
            elif opcode == 0x1:
                message = json.loads(payload)
                epoch = message.get("epoch")
                stats.messages += 1
                if message.get("type") != "hello" and state["epoch"] is not None and epoch <= state["epoch"]:
                    stats.violation(f"{name}: epoch {epoch} after {state['epoch']}")
                if epoch is not None:
                    state["epoch"] = epoch
    except asyncio.CancelledError:
        pass
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        if not stop_event.is_set():
            stats.violation(f"{name}: persistent connection lost ({error!r})")
    finally:
        stats.live -= 1
        close_quietly(writer)


async def stuck_client(stats, port, lifetime):
    try:
        reader, writer = await handshake(port, rcvbuf=4096)
    except Exception:
        stats.connect_failures += 1
        return
    stats.live += 1
    try:
        writer.transport.pause_reading()
        await asyncio.sleep(lifetime)
        # Now read: a dropped client sees the end of the stream after what was buffered.
        writer.transport.resume_reading()
        try:
            while True:
                data = await asyncio.wait_for(reader.read(65536), 0.5)
                if not data:
                    stats.stuck_dropped += 1
                    return
        except asyncio.TimeoutError:
            stats.stuck_survived += 1
        except ConnectionError:
            stats.stuck_dropped += 1
    finally:
        stats.live -= 1
        close_quietly(writer)


async def closed_within(reader, seconds):
    """True when the broker closes the stream within `seconds` (reading and discarding)."""
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            data = await asyncio.wait_for(reader.read(65536), max(0.01, end - time.monotonic()))
            if not data:
                return True
    except asyncio.TimeoutError:
        return False
    except ConnectionError:
        return True
    return False


async def garbage_client(stats, port):
    try:
        reader, writer = await handshake(port)
    except Exception:
        stats.connect_failures += 1
        return
    stats.live += 1
    try:
        junk = random.choice([
            os.urandom(random.randint(1, 300)),                      # random bytes
            b"\x81\x05hello",                                         # unmasked frame
            masked(0x1, b"\xc3\x28"),                                 # invalid UTF-8
            b"\x82\xff\x40" + bytes(7) + os.urandom(4),               # 2^62-byte frame
            masked(0x3, b"x"),                                        # reserved opcode
            masked(0x9, b"p" * 100, fin=False),                       # fragmented ping
        ])
        writer.write(junk)
        if random.random() < 0.5:
            writer.write(os.urandom(random.randint(0, 2000)))
        if await closed_within(reader, 5):
            stats.closed_by_broker["garbage"] += 1
        else:
            # Random bytes may be a valid frame prefix that waits for more (the broker rightly
            # waits, up to its heartbeat timeout): complete any frame the broker accepts (at most
            # 4 KiB of payload, a longer one is refused from its header) with bytes that have a
            # reserved bit set, so the first one read as a header is an error.
            writer.write(bytes([0xF0]) * 4200)
            if await closed_within(reader, 30):
                stats.closed_by_broker["garbage"] += 1
            else:
                stats.violation(f"garbage client not closed by the broker (sent {junk[:16]!r}…)")
    except ConnectionError:
        stats.closed_by_broker["garbage"] += 1
    finally:
        stats.live -= 1
        close_quietly(writer)


async def halfclose_client(stats, port):
    try:
        reader, writer = await handshake(port)
    except Exception:
        stats.connect_failures += 1
        return
    stats.live += 1
    try:
        await asyncio.sleep(random.uniform(0, 2))
        writer.write_eof()
        if await closed_within(reader, 5):
            stats.closed_by_broker["halfclose"] += 1
        else:
            stats.violation("half-closed client not closed by the broker within 5 s")
    except ConnectionError:
        stats.closed_by_broker["halfclose"] += 1
    finally:
        stats.live -= 1
        close_quietly(writer)


async def http_client(stats, port):
    try:
        reader, writer = await open_socket(port)
    except Exception:
        stats.connect_failures += 1
        return
    try:
        for _ in range(random.randint(1, 5)):
            writer.write(b"GET /__reload/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            if not head.startswith(b"HTTP/1.1 200"):
                stats.violation(f"health answered {head[:30]!r}")
                return
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
    except Exception as error:
        stats.violation(f"http client failed: {error!r}")
    finally:
        close_quietly(writer)


async def trigger(stats, port, path):
    body = json.dumps({"path": path}).encode() if path else b""
    try:
        reader, writer = await open_socket(port)
        writer.write(b"POST /__reload/trigger HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        response = await asyncio.wait_for(reader.read(), 10)
        close_quietly(writer)
        text = response.split(b"\r\n\r\n", 1)[1]
        epoch = json.loads(text)["epoch"]
        stats.completed.append((time.monotonic(), epoch))
        stats.triggers += 1
        return epoch
    except Exception as error:
        stats.trigger_failures += 1
        stats.violation(f"trigger failed: {error!r}")
        return None


async def sampler(stats, pid, csv, start, stop_event, phase):
    while not stop_event.is_set():
        try:
            rss, fds = read_proc(pid)
        except FileNotFoundError:
            stats.violation("the broker process is gone")
            return
        latest = stats.completed[-1][1] if stats.completed else 0
        csv.write(f"{time.monotonic() - start:.1f},{rss},{fds},{stats.live},{latest},{phase[0]}\n")
        csv.flush()
        await asyncio.sleep(1)


def plot(csv_path, out_base):
    rows = []
    with open(csv_path) as f:
        next(f)
        for line in f:
            t, rss, fds, live, epoch, phase = line.strip().split(",")
            rows.append((float(t), int(rss) / 1024, int(fds), int(live)))
    if not rows:
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax1 = plt.subplots(figsize=(9, 4))
        ax1.plot([r[0] for r in rows], [r[1] for r in rows], color="tab:red", label="RSS (MiB)")
        ax1.set_xlabel("seconds")
        ax1.set_ylabel("RSS (MiB)", color="tab:red")
        ax2 = ax1.twinx()
        ax2.plot([r[0] for r in rows], [r[2] for r in rows], color="tab:blue", label="open fds")
        ax2.plot([r[0] for r in rows], [r[3] for r in rows], color="tab:gray", linestyle=":", label="live clients")
        ax2.set_ylabel("open fds / live clients", color="tab:blue")
        fig.legend(loc="upper right")
        fig.tight_layout()
        fig.savefig(out_base + ".png", dpi=100)
        return out_base + ".png"
    except ImportError:
        pass
    # SVG fallback: two polylines, each scaled to its own range.
    width, height, pad = 900, 360, 50
    tmax = max(r[0] for r in rows) or 1

    def line(values, color):
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1
        points = " ".join(
            f"{pad + (r[0] / tmax) * (width - 2 * pad):.1f},{height - pad - ((v - lo) / span) * (height - 2 * pad):.1f}"
            for r, v in zip(rows, values))
        return f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>', lo, hi

    rss_line, rss_lo, rss_hi = line([r[1] for r in rows], "#c0392b")
    fd_line, fd_lo, fd_hi = line([r[2] for r in rows], "#2471a3")
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{pad}" y="20">reload-broker soak: RSS {rss_lo:.1f}-{rss_hi:.1f} MiB (red), open fds {fd_lo}-{fd_hi} (blue), over {tmax:.0f} s</text>
<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>
<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>
<text x="{width / 2}" y="{height - 15}">seconds (0-{tmax:.0f})</text>
{rss_line}
{fd_line}
</svg>
"""
    with open(out_base + ".svg", "w") as f:
        f.write(svg)
    return out_base + ".svg"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=300, help="live clients to keep")
    parser.add_argument("--persistent", type=int, default=20)
    parser.add_argument("--trigger-rate", type=float, default=5, help="triggers per second")
    parser.add_argument("--grace", type=float, default=2.0, help="seconds a reload may take to arrive")
    parser.add_argument("--rss-margin-mb", type=float, default=8)
    parser.add_argument("--settle", type=float, default=20, help="seconds to wait for fds/RSS to come back")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--summary", required=True)
    parser.add_argument("--plot", required=True, help="output path without extension")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)

    stats = Stats()
    stats.grace = args.grace
    start = time.monotonic()
    csv = open(args.csv, "w")
    csv.write("seconds,rss_kb,fds,live_clients,latest_epoch,phase\n")
    phase = ["baseline"]
    stop_sampling = asyncio.Event()
    await asyncio.sleep(1)
    base_rss, base_fds = read_proc(args.pid)
    sampler_task = asyncio.ensure_future(sampler(stats, args.pid, csv, start, stop_sampling, phase))
    await asyncio.sleep(2)
    phase[0] = "load"

    stop_event = asyncio.Event()
    persistent = {}
    persistent_tasks = [asyncio.ensure_future(persistent_client(stats, args.port, f"persistent-{i}", stop_event, persistent))
                        for i in range(args.persistent)]
    tasks = set()
    kinds = ["reader"] * 70 + ["stuck"] * 8 + ["garbage"] * 8 + ["halfclose"] * 7 + ["http"] * 7
    counts = {k: 0 for k in set(kinds)}
    long_path = "/styles/" + "x" * 6000 + ".css"  # fills a stuck client's buffers within ~20 s

    async def trigger_loop():
        while not stop_event.is_set():
            path = random.choice([None, None, "/styles/site.css", long_path])
            await trigger(stats, args.port, path)
            await asyncio.sleep(random.expovariate(args.trigger_rate))

    trigger_task = asyncio.ensure_future(trigger_loop())
    end = start + 3 + args.seconds
    while time.monotonic() < end:
        tasks = {t for t in tasks if not t.done()}
        while stats.live < args.clients and len(tasks) < args.clients * 1.2:
            kind = random.choice(kinds)
            counts[kind] += 1
            if kind == "reader":
                coro = reader_client(stats, args.port, random.uniform(1, 20), f"reader-{counts[kind]}")
            elif kind == "stuck":
                coro = stuck_client(stats, args.port, random.uniform(5, 45))
            elif kind == "garbage":
                coro = garbage_client(stats, args.port)
            elif kind == "halfclose":
                coro = halfclose_client(stats, args.port)
            else:
                coro = http_client(stats, args.port)
            tasks.add(asyncio.ensure_future(coro))
            if len(tasks) % 20 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.05)

    # Wind down: no new clients or triggers; one final trigger; persistent readers must get it.
    phase[0] = "drain"
    stop_event.set()
    await trigger_task
    final_epoch = await trigger(stats, args.port, None)
    await asyncio.sleep(2)
    for name, state in sorted(persistent.items()):
        if final_epoch is not None and state["epoch"] != final_epoch:
            stats.violation(f"{name}: final epoch {state['epoch']}, expected {final_epoch}")
    for task in persistent_tasks:
        task.cancel()
    await asyncio.gather(*persistent_tasks, return_exceptions=True)
    if tasks:
        await asyncio.wait(tasks, timeout=40)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    # Settle: descriptors and RSS back to the starting level.
    phase[0] = "settle"
    settle_end = time.monotonic() + args.settle
    rss, fds = read_proc(args.pid)
    while time.monotonic() < settle_end:
        rss, fds = read_proc(args.pid)
        if fds <= base_fds + 2 and rss <= base_rss + args.rss_margin_mb * 1024:
            break
        await asyncio.sleep(0.5)
    stop_sampling.set()
    await sampler_task
    csv.close()
    peak_rss = peak_fds = 0
    with open(args.csv) as f:
        next(f)
        for line in f:
            parts = line.split(",")
            peak_rss = max(peak_rss, int(parts[1]))
            peak_fds = max(peak_fds, int(parts[2]))
    if fds > base_fds + 2:
        stats.violation(f"descriptors did not come back: {fds} open, {base_fds} at the start")
    if rss > base_rss + args.rss_margin_mb * 1024:
        stats.violation(f"RSS did not come back: {rss} KiB, {base_rss} KiB at the start (margin {args.rss_margin_mb} MiB)")

    image = plot(args.csv, args.plot)
    summary = {
        "seed": seed, "seconds": args.seconds, "target_clients": args.clients, "peak_live": stats.peak_live,
        "clients_started": counts, "persistent": args.persistent, "messages_received": stats.messages,
        "triggers": stats.triggers, "final_epoch": final_epoch, "trigger_failures": stats.trigger_failures,
        "connect_failures": stats.connect_failures,
        "stuck_dropped_by_broker": stats.stuck_dropped, "stuck_still_connected": stats.stuck_survived,
        "closed_by_broker": stats.closed_by_broker,
        "rss_kb": {"start": base_rss, "peak": peak_rss, "end": rss},
        "fds": {"start": base_fds, "peak": peak_fds, "end": fds},
        "violations": len(stats.violations), "first_violations": stats.violations[:10],
        "plot": image,
    }
    with open(args.summary, "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 1 if stats.violations else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
