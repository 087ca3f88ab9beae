import Foundation
import HTTPCodec
import Testing
import TestSupport

/// Desync, smuggling and memory cases of the proxy (from a security review): each sends what a
/// raw client or a buggy dev server would, and checks both sides stay in step.
@Suite("reload-broker proxy: framing and abuse")
struct ProxyFramingTests {
    typealias Session = ProxySession

    @Test func connectionCannotRemoveContentLengthToSmuggleARequest() throws {
        let session = try Session()
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: evil.example\r\n\r\n"
        let socket = try TestSocket(port: session.port)
        try socket.send(
            "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: content-length, host\r\n"
                + "Content-Length: \(smuggled.utf8.count)\r\n\r\n" + smuggled)
        var reader = TestResponseReader()
        let response = try reader.next(from: socket)
        // The app got the POST with its body, as the broker framed it.
        #expect(response.text.contains(#""length": \#(smuggled.utf8.count)"#))
        // A request after it on the same connection is the app's next request, and nothing else was.
        try socket.send("GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try reader.next(from: socket).text == #"{"ok": true}"#)
        #expect(session.app.waitForOutput { $0.contains("app: request GET /json") })
        #expect(!session.app.waitForOutput(timeout: 0) { $0.contains("/smuggled") })
    }

    @Test func aResponseWithContentLengthAndChunkedIsFramedByTheChunks() throws {
        let session = try Session()
        let socket = try TestSocket(port: session.port)
        try socket.send(
            "GET /cl-and-te HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let raw = String(decoding: try socket.readToEnd(), as: UTF8.self)
        // Two responses, the first framed so that the second starts right after it.
        let parts = raw.components(separatedBy: "HTTP/1.1 200 OK\r\n")
        #expect(parts.count == 3, "\(raw)")
        guard parts.count == 3, let headEnd = parts[1].range(of: "\r\n\r\n") else { return }
        let firstHead = parts[1][..<headEnd.lowerBound]
        #expect(!firstHead.contains("Content-Length"))
        #expect(firstHead.contains("Transfer-Encoding: chunked"))
        #expect(dechunked(Array(parts[1][headEnd.upperBound...].utf8)) == "hello world")
        #expect(parts[2].hasSuffix(#"{"ok": true}"#))
    }

    @Test func anHTTP10AppsPagesGoOutAsHTTP11() throws {
        let session = try Session()
        let socket = try TestSocket(port: session.port)
        let request = "GET /http10.html HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Dest: document\r\nConnection: close\r\n\r\n"
        try socket.send(request)
        let raw = String(decoding: try socket.readToEnd(), as: UTF8.self)
        #expect(raw.hasPrefix("HTTP/1.1 200"), "\(raw.prefix(80))")
        #expect(raw.contains("Transfer-Encoding: chunked"))
        guard let headEnd = raw.range(of: "\r\n\r\n") else {
            Issue.record("no head in \(raw)")
            return
        }
        let body = dechunked(Array(raw[headEnd.upperBound...].utf8))
        #expect(body.contains("defer></script></head><body><p>generation 1</p></body></html>"))
    }

    @Test func aBodyAfterAHeadResponseNeverReachesTheNextRequest() throws {
        let session = try Session()
        #expect(try httpRequest(port: session.port, method: "HEAD", path: "/head-with-body").status == 200)
        // Right away, while the app's stray bytes are still on their way.
        for _ in 0..<3 {
            let next = try httpRequest(port: session.port, path: "/json")
            #expect(next.text == #"{"ok": true}"#)
        }
    }

    @Test func theRestOfABodyAfterAnEarlyAnswerIsDiscardedNotBuffered() throws {
        let session = try Session()
        let pid = session.broker.process.processIdentifier
        let before = memory(of: pid)
        let socket = try TestSocket(port: session.port)
        // Sends may block while the proxy holds the upload back: give up on a send after 1 s.
        var limit = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(socket.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        try socket.send("POST /early-413 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(1 << 40)\r\n\r\n")
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        // The app reads nothing: the upload fills the buffers and the proxy pauses the client.
        // Then the app answers 413 and keeps its connection open. The client goes on sending.
        var response: TestResponse?
        var reader = TestResponseReader()
        var sentMiB = 0
        var closed = false
        let deadline = Date().addingTimeInterval(60)
        while !closed, Date() < deadline {
            let sent = block.withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                closed = errno == EPIPE || errno == ECONNRESET  // else EAGAIN: held back, go on
            } else {
                sentMiB += sent == block.count ? 1 : 0
            }
            if response == nil, let answer = try? reader.next(from: socket, timeout: .milliseconds(1)) {
                response = answer
            }
        }
        #expect(response?.status == 413)
        #expect(response?.headers["Connection"] == "close")
        // The broker stopped taking the body: the connection ended instead of memory growing.
        #expect(closed, "the broker still took the body (\(sentMiB) MiB) after answering")
        let growth = memory(of: pid).peak - before.rss
        if sanitizerInUse == nil {
            #expect(growth < 64 * 1024, "the broker grew by \(growth) KiB")
        }
    }

    @Test func aCompressedPageThatInflatesHugelyStreamsInBoundedMemory() throws {
        let session = try Session()
        let pid = session.broker.process.processIdentifier
        let before = memory(of: pid)
        let socket = try TestSocket(port: session.port, receiveBuffer: 64 * 1024)
        try socket.send(
            "GET /bomb.html HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Dest: document\r\nConnection: close\r\n\r\n")
        // Read a little, then stall: the app's ~64 KiB of gzip must not all be decoded meanwhile.
        var received = 0
        var during = before
        while received < 4 << 20 {
            let chunk = try socket.receive(timeout: .seconds(30), max: 1 << 20)
            if chunk.isEmpty { break }
            received += chunk.count
        }
        Thread.sleep(forTimeInterval: 1)  // a slow client; memory is what is measured meanwhile
        during = memory(of: pid)
        var total = received
        while true {
            let chunk = try socket.receive(timeout: .seconds(30), max: 1 << 20)
            if chunk.isEmpty { break }
            total += chunk.count
        }
        #expect(total > 64 << 20)
        let growth = during.rss - before.rss
        if sanitizerInUse == nil {
            #expect(growth < 16 * 1024, "the broker grew by \(growth) KiB while the client stalled")
        }
    }

    @Test func aCompressedPageCutShortIsNotPassedOffAsComplete() throws {
        let session = try Session()
        let request = { (path: String) in
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Dest: document\r\nConnection: close\r\n\r\n"
        }
        // Half a gzip stream: the client sees the connection end without the last chunk.
        let cut = try TestSocket(port: session.port)
        try cut.send(request("/truncated-gzip.html"))
        let partial = String(decoding: try cut.readToEnd(), as: UTF8.self)
        #expect(partial.hasPrefix("HTTP/1.1 200"))
        #expect(!partial.hasSuffix("0\r\n\r\n"))
        // An empty body with Content-Encoding: gzip is simply an empty page, complete.
        let empty = try TestSocket(port: session.port)
        try empty.send(request("/empty-gzip.html"))
        let whole = String(decoding: try empty.readToEnd(), as: UTF8.self)
        #expect(whole.hasPrefix("HTTP/1.1 200"))
        // Decoded for injection, it has no Content-Length: chunked, and the last chunk is there.
        #expect(whole.contains("\r\nTransfer-Encoding: chunked\r\n"), "\(whole)")
        #expect(whole.hasSuffix("0\r\n\r\n"), "\(whole)")
    }

    @Test func theAppsWebSocketsRefuseForeignOrigins() throws {
        let session = try Session()
        let upgrade = { (origin: String) in
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(session.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: \(origin)\r\n\r\n"
        }
        let foreign = try TestSocket(port: session.port)
        try foreign.send(upgrade("https://evil.example"))
        var reader = TestResponseReader()
        #expect(try reader.next(from: foreign).status == 403)
        // The app's own page (served by the proxy, a loopback origin) still gets its socket.
        let own = try TestWebSocket(port: session.port, path: "/ws", origin: "http://127.0.0.1:\(session.port)")
        #expect(try own.nextText() == "hello from app")
    }
}
