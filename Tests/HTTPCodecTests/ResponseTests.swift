import Testing
@testable import HTTPCodec

@Suite("Responses and statuses")
struct ResponseTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func headSerialization() {
        let head = ResponseHead(status: .ok, headers: ["Content-Type": "text/html", "X-A": ""])
        #expect(text(head.serialized()) == "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: \r\n\r\n")
        #expect(text(ResponseHead(status: .notFound).serialized()) == "HTTP/1.1 404 Not Found\r\n\r\n")
        #expect(
            text(ResponseHead(status: HTTPStatus(code: 200, reason: "Fine"), version: .http1_0).serialized())
                == "HTTP/1.0 200 Fine\r\n\r\n")
        #expect(text(ResponseHead(status: HTTPStatus(code: 299)).serialized()) == "HTTP/1.1 299 \r\n\r\n")
    }

    @Test func switchingProtocolsHead() {
        let head = ResponseHead(
            status: .switchingProtocols,
            headers: [
                "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            ])
        #expect(
            text(HTTPResponseWriter.serialize(head, body: []))
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    }

    @Test func crlfInjectionIsNeutralised() {
        let head = ResponseHead(
            status: HTTPStatus(code: 302, reason: "Found\r\nX: y"),
            headers: ["Location": "/a\r\nSet-Cookie: evil=1", "Bad\nName": "v\u{0}"])
        #expect(
            text(head.serialized())
                == "HTTP/1.1 302 Found  X: y\r\nLocation: /a  Set-Cookie: evil=1\r\nBad Name: v \r\n\r\n")
    }

    @Test func serializeAddsContentLength() {
        let out = HTTPResponseWriter.serialize(
            ResponseHead(status: .ok, headers: ["Content-Type": "text/plain"]), body: bytes("hello"))
        #expect(text(out) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")

        let empty = HTTPResponseWriter.serialize(ResponseHead(status: .ok), body: [])
        #expect(text(empty) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func serializeKeepsExplicitFraming() {
        let withLength = HTTPResponseWriter.serialize(
            ResponseHead(status: .ok, headers: ["content-length": "10"]), body: [])
        #expect(text(withLength) == "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n", "HEAD-style response")

        let chunked = HTTPResponseWriter.serialize(
            ResponseHead(status: .ok, headers: ["Transfer-Encoding": "chunked"]), body: bytes("3\r\nabc\r\n"))
        #expect(text(chunked) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
    }

    @Test(arguments: [HTTPStatus.noContent, .notModified, .switchingProtocols, HTTPStatus(code: 103)])
    func statusesWithoutContent(status: HTTPStatus) {
        let out = HTTPResponseWriter.serialize(ResponseHead(status: status), body: bytes("ignored"))
        #expect(text(out) == "HTTP/1.1 \(status.code) \(status.reason)\r\n\r\n")
        #expect(!status.allowsBody)
    }

    @Test func errorResponseShape() {
        let out = HTTPResponseWriter.errorResponse(.badRequest, detail: "bare CR")
        #expect(
            text(out)
                == "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n"
                + "Connection: close\r\n\r\nBad Request: bare CR\n")

        let plain = HTTPResponseWriter.errorResponse(.notFound)
        #expect(
            text(plain)
                == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
                + "Connection: close\r\n\r\nNot Found\n")

        let unknown = HTTPResponseWriter.errorResponse(HTTPStatus(code: 599), detail: "")
        #expect(text(unknown).hasSuffix("Content-Length: 4\r\nConnection: close\r\n\r\n599\n"))
    }

    @Test func errorResponseExtraHeaders() {
        let out = HTTPResponseWriter.errorResponse(
            .upgradeRequired, detail: "WebSocket only",
            extraHeaders: ["Sec-WebSocket-Version": "13", "connection": "close, upgrade", "Content-Length": "999"])
        #expect(
            text(out)
                == "HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 33\r\nSec-WebSocket-Version: 13\r\nconnection: close, upgrade\r\n\r\n"
                + "Upgrade Required: WebSocket only\n")
    }

    @Test func errorResponseForParseErrors() {
        let error = HTTPParseError.headTooLarge
        let out = text(HTTPResponseWriter.errorResponse(error.status, detail: error.description))
        #expect(out.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(out.hasSuffix("\r\n\r\nRequest Header Fields Too Large: request head too large\n"))
    }

    @Test(
        "parse error to status mapping",
        arguments: [
            (HTTPParseError.malformed("x"), 400, "Bad Request"),
            (.headTooLarge, 431, "Request Header Fields Too Large"),
            (.bodyTooLarge, 413, "Content Too Large"),
            (.unsupportedTransferEncoding, 501, "Not Implemented"),
            (.unsupportedVersion, 505, "HTTP Version Not Supported"),
        ] as [(HTTPParseError, Int, String)])
    func errorStatus(error: HTTPParseError, code: Int, reason: String) {
        #expect(error.status == HTTPStatus(code: code, reason: reason))
    }

    @Test func statusConstants() {
        let all: [(HTTPStatus, Int, String)] = [
            (.ok, 200, "OK"), (.created, 201, "Created"), (.accepted, 202, "Accepted"),
            (.noContent, 204, "No Content"), (.switchingProtocols, 101, "Switching Protocols"),
            (.movedPermanently, 301, "Moved Permanently"), (.found, 302, "Found"),
            (.notModified, 304, "Not Modified"), (.badRequest, 400, "Bad Request"),
            (.unauthorized, 401, "Unauthorized"), (.forbidden, 403, "Forbidden"), (.notFound, 404, "Not Found"),
            (.methodNotAllowed, 405, "Method Not Allowed"), (.requestTimeout, 408, "Request Timeout"),
            (.payloadTooLarge, 413, "Content Too Large"), (.uriTooLong, 414, "URI Too Long"),
            (.misdirectedRequest, 421, "Misdirected Request"),
            (.requestHeaderFieldsTooLarge, 431, "Request Header Fields Too Large"),
            (.upgradeRequired, 426, "Upgrade Required"), (.internalServerError, 500, "Internal Server Error"),
            (.notImplemented, 501, "Not Implemented"), (.badGateway, 502, "Bad Gateway"),
            (.serviceUnavailable, 503, "Service Unavailable"), (.gatewayTimeout, 504, "Gateway Timeout"),
            (.httpVersionNotSupported, 505, "HTTP Version Not Supported"),
        ]
        for (status, code, reason) in all {
            #expect(status.code == code)
            #expect(status.reason == reason)
        }
        #expect(HTTPStatus(code: 404, reason: "Nope").reason == "Nope")
        #expect(HTTPStatus(code: 799).reason == "")
        #expect(Set([HTTPStatus.ok, HTTPStatus(code: 200), .notFound]).count == 2)
    }
}
