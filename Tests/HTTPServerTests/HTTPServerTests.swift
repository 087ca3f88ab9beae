import HTTPCodec
import HTTPServer
import TestSupport
import Testing
import UVLoop

/// Uppercases bodies of `text/plain` responses, and marks the heads it filtered.
final class UppercaseFilter: ResponseFilter {
    struct Body: ResponseBodyFilter {
        var finished = false
        mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
            bytes.map { (97...122).contains($0) ? $0 - 32 : $0 }
        }
        mutating func finish() -> [UInt8] { Array("!".utf8) }
    }

    func filter(request: RequestHead, response: inout ResponseHead) -> (any ResponseBodyFilter)? {
        guard response.headers["Content-Type"] == "text/plain" else { return nil }
        response.headers.add("X-Filtered", request.method)
        return Body()
    }
}

/// A streaming handler that counts the body bytes it is given and answers their count.
final class CountingHandler: StreamingRequestHandler, @unchecked Sendable {
    final class Receiver: RequestBodyReceiver {
        let responder: HTTPResponder
        var count = 0
        init(_ responder: HTTPResponder) { self.responder = responder }
        func receive(_ bytes: [UInt8]) -> Bool {
            count += bytes.count
            return true
        }
        func end() {
            let (head, body) = text(.ok, "\(count)")
            responder.respond(head, body: body)
        }
    }

    func handle(head: RequestHead, responder: HTTPResponder) -> (any RequestBodyReceiver)? {
        Receiver(responder)
    }
}

/// The HTTP server on its own, over loopback: no broker, no reload.
@Suite("HTTP1Server over loopback", .timeLimit(.minutes(1)))
struct HTTPServerTests {
    @Test func aRouterAnswersAndTheConnectionIsKeptAlive() throws {
        let router = TestRouter { request, responder in
            let (head, body) = text(.ok, "path \(request.head.path)")
            responder.respond(head, body: body)
        }
        try withServer(router: router) { server in
            let socket = try TestSocket(port: server.port)
            var reader = TestResponseReader()
            try socket.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try reader.next(from: socket)
            let second = try reader.next(from: socket)
            #expect(first.status == 200)
            #expect(first.text == "path /one")
            #expect(second.text == "path /two")
            #expect(second.headers["Connection"] == nil)  // still open: HTTP/1.1 keep-alive
            try socket.send("GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let third = try reader.next(from: socket)
            #expect(third.text == "path /three")
            #expect(third.headers["Connection"] == "close")
            #expect(try socket.readToEnd().isEmpty)  // and closed after it
        }
    }

    @Test func theResponseFilterSeesWholeAndStreamedResponsesAndHeadGetsTheLengthOfGet() throws {
        let router = TestRouter { request, responder in
            let (head, body) = text(.ok, "hello")
            if request.head.path == "/streamed" {
                responder.start(head)
                responder.write(Array("hel".utf8))
                responder.write(Array("lo".utf8))
                responder.finish()
            } else {
                responder.respond(head, body: body)
            }
        }
        try withServer(filter: UppercaseFilter(), router: router) { server in
            let whole = try httpRequest(port: server.port, path: "/whole")
            #expect(whole.text == "HELLO!")
            #expect(whole.headers["Content-Length"] == "6")
            #expect(whole.headers["X-Filtered"] == "GET")
            let head = try httpRequest(port: server.port, method: "HEAD", path: "/whole")
            #expect(head.headers["Content-Length"] == "6")  // what GET sends, filter included
            #expect(head.headers["X-Filtered"] == "GET")
            #expect(head.body.isEmpty)
            let socket = try TestSocket(port: server.port)
            try socket.send("GET /streamed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let raw = String(decoding: try socket.readToEnd(), as: UTF8.self)
            #expect(raw.contains("Transfer-Encoding: chunked\r\n"))
            #expect(raw.hasSuffix("\r\n\r\n3\r\nHEL\r\n2\r\nLO\r\n1\r\n!\r\n0\r\n\r\n"))
        }
    }

    @Test func aRefusedRouteIsAnsweredAndClosed() throws {
        let router = TestRouter(route: { _ in .refuse(.forbidden, detail: "not you") }, handle: { _, _ in })
        try withServer(router: router) { server in
            let socket = try TestSocket(port: server.port)
            try socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            var reader = TestResponseReader()
            let response = try reader.next(from: socket)
            #expect(response.status == 403)
            #expect(response.text.contains("not you"))
            #expect(try socket.readToEnd().isEmpty)
        }
    }

    @Test func collectedBodiesAreBoundedButStreamedOnesAreNot() throws {
        var configuration = HTTPServerConfiguration()
        configuration.limits.maxBodyBytes = 1000
        let router = TestRouter(
            route: { head in head.path == "/stream" ? .stream(CountingHandler()) : .router },
            handle: { request, responder in
                let (head, body) = text(.ok, "\(request.body.count)")
                responder.respond(head, body: body)
            })
        try withServer(configuration: configuration, router: router) { server in
            let small = try httpRequest(port: server.port, method: "POST", path: "/", body: Array(repeating: 1, count: 1000))
            #expect(small.text == "1000")
            let large = try httpRequest(port: server.port, method: "POST", path: "/", body: Array(repeating: 1, count: 1001))
            #expect(large.status == 413)
            let streamed = try httpRequest(
                port: server.port, method: "POST", path: "/stream", body: Array(repeating: 1, count: 200_000))
            #expect(streamed.text == "200000")
        }
    }

    /// The body limit is the server's: a declared body over it is a 413 from the head alone (no
    /// byte of it sent), on every route but a streamed one, and before a refusal's own answer.
    @Test func aDeclaredBodyOverTheLimitIs413FromTheHeadOnEveryRouteButAStream() throws {
        var configuration = HTTPServerConfiguration()
        configuration.limits.maxBodyBytes = 1000
        let router = TestRouter(
            route: { head in
                switch head.path {
                case "/stream": .stream(CountingHandler())
                case "/refused": .refuse(.forbidden, detail: "not you")
                default: .router
                }
            },
            handle: { _, _ in Issue.record("a collected request over the limit reached its handler") })
        try withServer(configuration: configuration, router: router) { server in
            for path in ["/", "/refused"] {
                let socket = try TestSocket(port: server.port)
                try socket.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
                var reader = TestResponseReader()
                #expect(try reader.next(from: socket).status == 413, "\(path)")
                #expect(try socket.readToEnd().isEmpty)
            }
            let socket = try TestSocket(port: server.port)
            try socket.send("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
            try socket.send([UInt8](repeating: 1, count: 1001))
            var reader = TestResponseReader()
            let streamed = try reader.next(from: socket)
            #expect(streamed.status == 200)
            #expect(streamed.text == "1001")
        }
    }

    /// The write timeout over a real socket (its decisions are HTTPConnectionDeadlineTests'): a
    /// client that stops reading a large response is dropped once no write completes for 300 ms.
    @Test func aClientThatStopsReadingIsDroppedAtTheWriteTimeout() throws {
        var configuration = HTTPServerConfiguration()
        configuration.timeouts.write = 300
        let router = TestRouter { _, responder in
            var head = ResponseHead(status: .ok)
            head.headers.add("Content-Type", "application/octet-stream")
            responder.respond(head, body: [UInt8](repeating: 0x61, count: 16 << 20))
        }
        try withServer(configuration: configuration, router: router) { server in
            let socket = try TestSocket(port: server.port, receiveBuffer: 4096)
            try socket.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { server.connectionCount() == 1 })
            #expect(eventually { server.connectionCount() == 0 }, "the stalled connection was not dropped")
            let received = try socket.readToEnd()
            #expect(received.count < 16 << 20)
        }
    }

    @Test func anUpgradeHandsTheSocketToItsNewOwner() throws {
        /// Echoes every byte back, uppercased: the new protocol.
        final class Echo: TCPConnectionDelegate {
            func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
                var copy: [UInt8] = []
                for index in bytes.indices { copy.append(bytes[index] &- 32) }
                connection.write(copy)
            }
            func connectionDidReachEndOfInput(_ connection: TCPConnection) { connection.close() }
            func connectionDidDrain(_ connection: TCPConnection) {}
            func connectionDidClose(_ connection: TCPConnection, error: UVError?) { connection.delegate = nil }
        }
        let router = TestRouter { _, responder in
            var head = ResponseHead(status: .switchingProtocols)
            head.headers.add("Upgrade", "shout")
            head.headers.add("Connection", "Upgrade")
            let upgraded = responder.upgrade(head)
            let echo = Echo()
            upgraded.tcp.delegate = echo  // the socket keeps its delegate while open
            upgraded.tcp.startReading()
            if !upgraded.bufferedBytes.isEmpty {
                upgraded.tcp.write(upgraded.bufferedBytes.map { $0 &- 32 })
            }
        }
        try withServer(router: router) { server in
            let socket = try TestSocket(port: server.port)
            try socket.send("GET /up HTTP/1.1\r\nHost: x\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nab")
            var reader = TestResponseReader()
            let response = try reader.next(from: socket)
            #expect(response.status == 101)
            var received = reader.takeRemainder()
            try socket.send("cd")
            while received.count < 4 {
                let chunk = try socket.receive()
                if chunk.isEmpty { break }
                received += chunk
            }
            #expect(String(decoding: received, as: UTF8.self) == "ABCD")
        }
    }
}
