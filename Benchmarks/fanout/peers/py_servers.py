"""Python peers of the fan-out benchmark.

    python py_servers.py websockets WS_PORT TRIGGER_PORT   # websockets (asyncio), websockets.broadcast
    python py_servers.py picows WS_PORT TRIGGER_PORT       # picows on uvloop, transport.send per client

Each serves WebSocket clients on WS_PORT (any path) and broadcasts the text frame
{"type":"reload","epoch":N} to every client when any HTTP request reaches
TRIGGER_PORT (a minimal HTTP/1.1 responder on the same event loop), answering
{"ok":true,"epoch":N,"clients":K}. The seed (fastapi-reloader) is seed_app.py.
"""
import asyncio
import json
import sys

clients = set()
epoch = 0


def reload_payload():
    global epoch
    epoch += 1
    return json.dumps({"type": "reload", "epoch": epoch}, separators=(",", ":"))


class TriggerProtocol(asyncio.Protocol):
    """Reads one request head, broadcasts, answers, closes."""

    def __init__(self, broadcast):
        self.broadcast = broadcast
        self.buffer = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            return
        reached = self.broadcast()
        body = json.dumps({"ok": True, "epoch": epoch, "clients": reached}).encode()
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.transport.close()


async def run_websockets(ws_port, trigger_port):
    from websockets.asyncio.server import broadcast, serve

    async def handler(ws):
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    def do_broadcast():
        broadcast(clients, reload_payload())
        return len(clients)

    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: TriggerProtocol(do_broadcast), "127.0.0.1", trigger_port)
    async with serve(handler, "127.0.0.1", ws_port, compression=None, ping_interval=None, backlog=4096):
        print(f"websockets: listening on {ws_port}, trigger on {trigger_port}", flush=True)
        await asyncio.Future()


async def run_picows(ws_port, trigger_port):
    from picows import WSListener, WSMsgType, ws_create_server

    class Listener(WSListener):
        def on_ws_connected(self, transport):
            clients.add(transport)

        def on_ws_disconnected(self, transport):
            clients.discard(transport)

        def on_ws_frame(self, transport, frame):
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    def do_broadcast():
        payload = reload_payload().encode()
        for transport in clients:
            transport.send(WSMsgType.TEXT, payload)
        return len(clients)

    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: TriggerProtocol(do_broadcast), "127.0.0.1", trigger_port)
    server = await ws_create_server(lambda _request: Listener(), "127.0.0.1", ws_port, backlog=4096)
    print(f"picows: listening on {ws_port}, trigger on {trigger_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    kind, ws_port, trigger_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if kind == "picows":
        import uvloop
        uvloop.run(run_picows(ws_port, trigger_port))
    else:
        asyncio.run(run_websockets(ws_port, trigger_port))
