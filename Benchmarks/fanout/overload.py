#!/usr/bin/env python3
"""Over the fd limit: does the broker refuse the excess cleanly and keep serving the rest?

    overload.py BROKER_BIN LOADGEN HOLD N
Starts the broker (CPU 0), holds HOLD WebSocket clients open from this process, then runs
the load generator with N more (HOLD + N above the broker's open-file limit) and one
trigger, then asks /__reload/health. Prints one JSON line. Loopback only, bounded in time.
"""
import base64, json, os, resource, socket, subprocess, sys, time

broker, loadgen, hold, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
proc = subprocess.Popen(["taskset", "-c", "0", broker, "serve", "--port", str(port), "--quiet"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
deadline = time.time() + 20
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
    except OSError:
        time.sleep(0.05)
held, refused = [], 0
t0 = time.time()
for i in range(hold):
    if time.time() - t0 > 120: break
    try:
        s = socket.socket(); s.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
        s.bind((f"127.0.0.{10 + i % 8}", 0)); s.settimeout(5); s.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(f"GET /__reload/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = s.recv(4096)
        if not head.startswith(b"HTTP/1.1 101"): refused += 1; s.close(); continue
        held.append(s)
    except OSError:
        refused += 1
lg = subprocess.run(["taskset", "-c", "1", loadgen, "--port", str(port), "--n", str(n), "--pid", str(proc.pid),
                     "--latency-triggers", "1", "--sustained-triggers", "0", "--settle-ms", "300", "--idle-ms", "300",
                     "--timeout", "60"], capture_output=True, text=True, timeout=200)
r = json.loads(lg.stdout) if lg.stdout.strip() else {"error": lg.stderr[-300:]}
got_held = 0
for s in held:  # the held clients got the same reload (hello first, then reload)
    try:
        s.settimeout(2); data = b""
        while b"reload" not in data and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        got_held += b"reload" in data
    except OSError:
        pass
for s in held: s.close()
time.sleep(1)
try:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET /__reload/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        health = s.recv(4096).split(b"\r\n")[0].decode()
except OSError as e:
    health = f"error {e}"
alive = proc.poll() is None
proc.terminate()
try: proc.wait(timeout=5)
except subprocess.TimeoutExpired: proc.kill()
print(json.dumps({"held": len(held), "held_refused": refused, "held_got_reload": got_held,
                  "loadgen_n": n, "loadgen_connected": r.get("connected"), "loadgen_failed": r.get("connect_failed"),
                  "loadgen_handshake_bad": r.get("handshake_bad"),
                  "loadgen_received": r.get("latency", {}).get("received"), "max_ms": r.get("latency", {}).get("max_ms"),
                  "broker_alive": alive, "health_after": health,
                  "broker_stderr_tail": proc.stderr.read().decode(errors="replace")[-300:]}))
