import HTTPCodec
@testable import ReloadBroker
import Testing

/// The names and values of `headers`, in order (for comparisons that include the order).
private func fields(_ headers: HTTPHeaders) -> [String] {
    headers.map { "\($0.name): \($0.value)" }
}

@Suite("ProxyHeaders: hop-by-hop fields and the heads the client gets")
struct ProxyHeadersTests {
    @Test func hopByHopFieldsAndTheFieldsConnectionNamesAreRemoved() {
        var headers: HTTPHeaders = [
            "Host": "app.test", "Connection": "keep-alive, X-Secret , x-other", "Keep-Alive": "timeout=5",
            "TE": "trailers", "Trailer": "X-Sum", "Transfer-Encoding": "chunked", "Upgrade": "websocket",
            "Proxy-Authorization": "Basic eA==", "Proxy-Connection": "keep-alive", "X-Secret": "1", "X-Other": "2",
            "Accept": "text/html", "Cookie": "a=b",
        ]
        ProxyHeaders.removeHopByHop(&headers, keepUpgrade: false)
        #expect(fields(headers) == ["Host: app.test", "Accept: text/html", "Cookie: a=b"])
    }

    @Test func connectionCannotRemoveTheFieldsTheProxyFramesBy() {
        var headers: HTTPHeaders = ["Host": "app.test", "Content-Length": "5", "Connection": "host, content-length, close"]
        ProxyHeaders.removeHopByHop(&headers, keepUpgrade: false)
        #expect(fields(headers) == ["Host: app.test", "Content-Length: 5"])
    }

    @Test func aTunnelKeepsUpgradeAndSaysConnectionUpgradeOnly() {
        var headers: HTTPHeaders = [
            "Upgrade": "websocket", "Connection": "Upgrade, X-Hop", "X-Hop": "1", "Sec-WebSocket-Key": "abc",
            "Keep-Alive": "timeout=5",
        ]
        ProxyHeaders.removeHopByHop(&headers, keepUpgrade: true)
        #expect(fields(headers) == ["Upgrade: websocket", "Sec-WebSocket-Key: abc", "Connection: Upgrade"])
    }

    @Test func theClientHeadIsHTTP11FramedAsTheParserReadsTheBody() {
        let app = ResponseHead(
            status: .ok, headers: ["Content-Length": "99", "Transfer-Encoding": "chunked", "Connection": "close", "ETag": "\"1\""],
            version: .http1_0)
        let chunked = ProxyHeaders.clientHead(app, framing: .chunked)
        #expect(chunked.version == .http1_1)
        #expect(fields(chunked.headers) == ["ETag: \"1\""])  // the broker frames it again itself
        let sized = ProxyHeaders.clientHead(ResponseHead(status: .ok, headers: ["Content-Length": "007"]), framing: .length(7))
        #expect(fields(sized.headers) == ["Content-Length: 7"])
        let untilClose = ProxyHeaders.clientHead(ResponseHead(status: .ok, headers: ["Content-Length": "3"]), framing: .untilClose)
        #expect(!untilClose.headers.contains("Content-Length"))
        // HEAD, 204, 304: the app's length describes a body that is not sent, and is kept.
        let head = ProxyHeaders.clientHead(ResponseHead(status: .ok, headers: ["Content-Length": "12"]), framing: .none)
        #expect(head.headers["Content-Length"] == "12")
    }

    @Test func theTunnelHeadKeepsTheUpgrade() {
        let app = ResponseHead(
            status: HTTPStatus(code: 101), headers: ["Upgrade": "websocket", "Connection": "upgrade", "Keep-Alive": "x"],
            version: .http1_0)
        let head = ProxyHeaders.tunnelHead(app)
        #expect(head.version == .http1_1)
        #expect(fields(head.headers) == ["Upgrade: websocket", "Connection: Upgrade"])
    }

    @Test func whetherTheAppClosesItsConnection() {
        #expect(ProxyHeaders.closesConnection(ResponseHead(status: .ok, headers: ["Connection": "Close"])))
        #expect(!ProxyHeaders.closesConnection(ResponseHead(status: .ok)))
        #expect(ProxyHeaders.closesConnection(ResponseHead(status: .ok, version: .http1_0)))
        #expect(!ProxyHeaders.closesConnection(ResponseHead(status: .ok, headers: ["Connection": "keep-alive"], version: .http1_0)))
    }

    @Test func onlyASingleContentCodingIsDecoded() throws {
        let gzip = try #require(
            ProxyHeaders.decodedHead(
                ResponseHead(status: .ok, headers: ["Content-Encoding": "identity, GZip", "Content-Length": "30", "Content-Type": "text/html"])))
        #expect(gzip.coding == "gzip")
        #expect(fields(gzip.head.headers) == ["Content-Type: text/html"])
        #expect(ProxyHeaders.decodedHead(ResponseHead(status: .ok, headers: ["Content-Encoding": "gzip, br"])) == nil)
        #expect(ProxyHeaders.decodedHead(ResponseHead(status: .ok, headers: ["Content-Encoding": "identity"])) == nil)
        #expect(ProxyHeaders.decodedHead(ResponseHead(status: .ok)) == nil)
        #expect(ProxyHeaders.isDecodable("deflate") && ProxyHeaders.isDecodable("x-gzip") && !ProxyHeaders.isDecodable("br"))
    }
}

@Suite("ProxyRequestWriter: what the app gets for a client's request")
struct ProxyRequestWriterTests {
    private func text(_ writer: ProxyRequestWriter) -> String { String(decoding: writer.head, as: UTF8.self) }

    @Test func theHeadCarriesForwardedFieldsWithoutHopByHopOnes() {
        let request = RequestHead(
            method: "POST", target: "/form?x=1",
            headers: ["Host": "localhost:35729", "Connection": "keep-alive", "X-Forwarded-For": "10.0.0.1", "Content-Length": "3"])
        let writer = ProxyRequestWriter(request: request, clientAddress: "127.0.0.1", upstreamAuthority: "127.0.0.1:8000")
        #expect(!writer.isUpgrade && !writer.isNavigation && !writer.isChunked)
        #expect(
            text(writer)
                == "POST /form?x=1 HTTP/1.1\r\nHost: localhost:35729\r\nX-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n"
                + "X-Forwarded-Host: localhost:35729\r\nX-Forwarded-Proto: http\r\nContent-Length: 3\r\n\r\n")
        #expect(writer.body([1, 2, 3]) == [1, 2, 3])
        #expect(writer.endOfBody == nil)
    }

    @Test func aRequestWithoutHostGetsTheApps() {
        let writer = ProxyRequestWriter(
            request: RequestHead(method: "GET", target: "/", version: .http1_0), clientAddress: nil, upstreamAuthority: "[::1]:8000")
        #expect(text(writer) == "GET / HTTP/1.1\r\nX-Forwarded-Proto: http\r\nHost: [::1]:8000\r\n\r\n")
    }

    @Test func aChunkedBodyGoesOnChunked() {
        let request = RequestHead(method: "PUT", target: "/up", headers: ["Host": "h", "Transfer-Encoding": "chunked"])
        let writer = ProxyRequestWriter(request: request, clientAddress: nil, upstreamAuthority: "h")
        #expect(writer.isChunked)
        #expect(text(writer).hasSuffix("Transfer-Encoding: chunked\r\n\r\n"))
        #expect(String(decoding: writer.body(Array(repeating: 65, count: 26)), as: UTF8.self) == "1a\r\n" + String(repeating: "A", count: 26) + "\r\n")
        #expect(writer.endOfBody == Array("0\r\n\r\n".utf8))
    }

    @Test func aPageIsAskedForUncompressedAndAWebSocketKeepsItsUpgrade() {
        let page = ProxyRequestWriter(
            request: RequestHead(method: "GET", target: "/", headers: ["Host": "h", "Accept-Encoding": "gzip, br", "Sec-Fetch-Dest": "document"]),
            clientAddress: nil, upstreamAuthority: "h")
        #expect(page.isNavigation)
        #expect(text(page).contains("Accept-Encoding: identity\r\n"))
        let socket = ProxyRequestWriter(
            request: RequestHead(method: "GET", target: "/hmr", headers: ["Host": "h", "Connection": "Upgrade", "Upgrade": "websocket"]),
            clientAddress: nil, upstreamAuthority: "h")
        #expect(socket.isUpgrade)
        #expect(text(socket).contains("Upgrade: websocket\r\n"))
        #expect(text(socket).contains("Connection: Upgrade\r\n"))
    }
}
