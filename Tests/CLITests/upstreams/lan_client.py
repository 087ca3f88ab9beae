"""A second host's view of the broker, run inside a network namespace: one line per check.
Usage: lan_client.py ADDRESS PORT. Every socket has a timeout; nothing here retries forever."""
import base64, os, socket, sys

address, port = sys.argv[1], int(sys.argv[2])
own = "%s:%d" % (address, port)


def request(head, to_end=True):
    """Sends `head`; returns the status and, with `to_end` (requests sent with Connection: close),
    everything after the head up to the end of the stream, whatever its framing (the proxy chunks
    injected pages)."""
    with socket.create_connection((address, port), timeout=10) as s:
        s.sendall(head.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
        if not to_end:
            return status, data
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return status, data.split(b"\r\n\r\n", 1)[1]


def upgrade(origin, host=own):
    key = base64.b64encode(os.urandom(16)).decode()
    return request(
        "GET /__reload/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n" % (host, key, origin),
        to_end=False)[0]


def trigger(origin):
    return request(
        "POST /__reload/trigger HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n" % (own, origin))[0]


status, body = request("GET / HTTP/1.1\r\nHost: %s\r\nAccept: text/html\r\nConnection: close\r\n\r\n" % own)
print("page", status, "client" if b"data-reload-broker" in body else "no-client")
print("same-origin-socket", upgrade("http://" + own))
print("evil-origin-socket", upgrade("http://evil.example"))
print("other-port-socket", upgrade("http://%s:1" % address))
print("rebinding-host-page", request("GET / HTTP/1.1\r\nHost: evil.example:%d\r\nConnection: close\r\n\r\n" % port)[0])
print("rebinding-host-socket", upgrade("http://evil.example:%d" % port, host="evil.example:%d" % port))
print("same-origin-trigger", trigger("http://" + own))
print("evil-origin-trigger", trigger("http://evil.example"))
sys.stdout.flush()
