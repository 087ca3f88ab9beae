#!/usr/bin/env python3
"""Writes the seed corpora (Fuzz/Corpus/<target>/). Re-run after editing; the files are committed."""
import os, struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data)


def ws_frame(opcode, payload, fin=True, key=b"\x11\x22\x33\x44"):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    mask = 0x80 if key else 0
    if n < 126:
        head += bytes([mask | n])
    elif n <= 0xFFFF:
        head += bytes([mask | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mask | 127]) + struct.pack(">Q", n)
    if key:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


UPGRADE = (b"GET /__reload/ws HTTP/1.1\r\nHost: 127.0.0.1:35729\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\nOrigin: http://localhost:3000\r\n\r\n")

# Chunked bodies through both parsers: byte 0 is the split seed, the rest follows a chunked head.
write("FuzzChunkedBody", "plain", b"\x05" b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
write("FuzzChunkedBody", "extensions-trailers", b"\x13" b"a;x=\"q;\";y\r\n0123456789\r\n0;last\r\nT-A: 1\r\nT-B: 2\r\n\r\n")
write("FuzzChunkedBody", "leading-zeros", b"\x21" b"000003 \t;e\r\n\r\n\r\r\n0000\r\n\r\n")
write("FuzzChunkedBody", "bare-lf", b"\x02" b"3\r\nabc\n0\r\n\r\n")
write("FuzzChunkedBody", "huge-size", b"\x07" b"7fffffffffffffff\r\nab")

# HTTP request parser: byte 0 is the split seed.
write("FuzzHTTPRequest", "get", b"\x03GET /__reload/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
write("FuzzHTTPRequest", "post-length", b"\x11POST /__reload/trigger?path=a.css HTTP/1.1\r\nHost: a\r\n"
      b"Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"path\":\"x\"}\n")
write("FuzzHTTPRequest", "post-chunked", b"\x29POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
write("FuzzHTTPRequest", "pipelined-lf", b"\x7f\r\nGET /a HTTP/1.1\nHost: a\nConnection: keep-alive, Upgrade\n\n"
      b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\nX: \xc3\xa9 \xff\r\n\r\n")
write("FuzzHTTPRequest", "upgrade", b"\x01" + UPGRADE + b"\x81\x85\x11\x22\x33\x44")
write("FuzzHTTPRequest", "smuggle", b"\x05POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc"
      b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")

# HTTP response parser: byte 0 is the split seed, byte 1 the request methods (bit k set: the k-th
# final response answers HEAD, else GET), the rest is the stream from the app.
LENGTH = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nhello world"
write("FuzzHTTPResponse", "length-pipelined", b"\x03\x00" + LENGTH + LENGTH)
write("FuzzHTTPResponse", "chunked-trailers", b"\x11\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
      b"Content-Length: 3\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n" + LENGTH)
write("FuzzHTTPResponse", "close-delimited", b"\x29\x00HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"
      b"HTTP/1.1 200 OK\r\n\r\n")
write("FuzzHTTPResponse", "interim", b"\x05\x00\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\nLink: </a.css>\n\n"
      + LENGTH)
write("FuzzHTTPResponse", "no-body-head-204-304", b"\x7f\x04HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
      b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + LENGTH)
write("FuzzHTTPResponse", "switching", b"\x01\x00HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      b"Connection: Upgrade\r\n\r\n\x81\x02hi")
write("FuzzHTTPResponse", "lengths-gzip", b"\x13\x00HTTP/1.1 404 \r\nContent-Length: 7, 7\r\nContent-Length:7\r\n\r\nmissing"
      b"HTTP/1.1 200\r\nTransfer-Encoding: gzip\r\nX: \xc3\xa9 \xff\r\n\r\n\x1f\x8b")
# The shapes of findings R1 (a control character in the reason), R2 (a head over the 512-byte
# limit of the harness, whole in one read) and R3 (empty Transfer-Encoding elements after chunked).
write("FuzzHTTPResponse", "reason-ctl", b"\x07\x00HTTP/1.1 204 No\x00Content\r\n\r\n" + LENGTH)
write("FuzzHTTPResponse", "head-over-limit", b"\x0b\x00HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 70
      + b"Content-Length: 2\r\n\r\nok")
write("FuzzHTTPResponse", "te-empty-elements", b"\x11\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked, \r\n"
      b"Transfer-Encoding: , ,\r\n\r\n2\r\nok\r\n0\r\n\r\n" + LENGTH)

# WebSocket frames (server role: client frames are masked): byte 0 is the split seed.
write("FuzzWebSocketFrames", "text", b"\x02" + ws_frame(1, b'{"type":"ping"}'))
write("FuzzWebSocketFrames", "fragmented", b"\x09" + ws_frame(1, "h\xe9".encode()[:2], fin=False)
      + ws_frame(9, b"p") + ws_frame(0, "h\xe9llo \u20ac".encode()[2:]))
write("FuzzWebSocketFrames", "close", b"\x04" + ws_frame(8, struct.pack(">H", 1000) + b"bye") + ws_frame(8, b""))
write("FuzzWebSocketFrames", "binary-126", b"\x13" + ws_frame(2, bytes(range(200))) + ws_frame(10, b"pong"))
write("FuzzWebSocketFrames", "length-127", b"\x21\x82\xff" + struct.pack(">Q", 300) + b"\x00\x00\x00\x00" + bytes(300))
write("FuzzWebSocketFrames", "bad-utf8", b"\x00" + ws_frame(1, b"\xed\xa0\x80") + ws_frame(1, b"\xf0\x9f\x98"))

# Handshake evaluation: an HTTP head (no seed byte).
write("FuzzHandshake", "valid", UPGRADE)
write("FuzzHandshake", "lowercase-list", UPGRADE.replace(b"Upgrade: websocket", b"upgrade: WebSocket, h2c")
      .replace(b"Connection: Upgrade", b"connection: keep-alive, upgrade"))
write("FuzzHandshake", "version-8", UPGRADE.replace(b"Version: 13", b"Version: 8"))
write("FuzzHandshake", "two-keys", UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Key:  AAAAAAAAAAAAAAAAAAAAAA== \r\n\r\n"))
write("FuzzHandshake", "post", UPGRADE.replace(b"GET", b"POST"))

# Injection filter: byte 0 seeds the chunking, the rest is the body.
write("FuzzInjection", "page", b"\x05<!doctype html><html><head><title>t</title></head><body><p>x</p></body></html>")
write("FuzzInjection", "no-head", b"\x0b<html><BODY class=a>hi</BODY></html>")
write("FuzzInjection", "tricky", b"\x17<!-- </head> --><script>var s='</head>'</script><textarea></head></textarea>"
      b"<head ><bodyguard></HEAD\t>")
write("FuzzInjection", "fragment", b"\x02<div hx-get=\"/x\">fragment</div>")
write("FuzzInjection", "marker", b"\x03<head><script data-reload-broker src=x></script></head>")
write("FuzzInjection", "unclosed", b"\x21<p>text <!-- open comment")
