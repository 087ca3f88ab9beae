import Foundation
import HTTPCodec
import ReloadBroker
import Testing
import TestSupport

/// Answers every request with a fixed body (a stand-in app for the connection tests).
struct FixedBodyHandler: RequestHandler {
    let body: [UInt8]
    let contentType: String

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        var head = ResponseHead(status: .ok)
        head.headers.add("Content-Type", contentType)
        responder.respond(head, body: body)
    }
}

@Suite("Regressions found in review")
struct ReviewRegressionTests {
    /// Sends one request with `host` as its Host header's bytes; returns the status.
    static func status(forHost host: String, _ broker: ReloadBroker) throws -> Int {
        let socket = try TestSocket(port: broker.port)
        try socket.send(Array("GET /__reload/health HTTP/1.1\r\nHost: ".utf8) + Array(host.utf8) + Array("\r\n\r\n".utf8))
        var reader = TestResponseReader()
        return try reader.next(from: socket).status
    }

    /// A valid header value (obs-text is allowed in field values) that is no valid host: the
    /// parser passes it, the Host check refuses it (403).
    @Test(arguments: ["1\u{301}.0.0.1", "١٢٧.0.0.1", "[evil.example]", "é.localhost"])
    func nonASCIIOrMalformedHostsAreRefusedWithoutACrash(host: String) throws {
        try withBroker { broker throws in
            #expect(try Self.status(forHost: host, broker) == 403)
            // Still serving.
            #expect(try httpRequest(port: broker.port, path: "/__reload/health").status == 200)
        }
    }

    /// A control character is not allowed in any field value: the parser refuses the request
    /// (400) before the Host check sees it.
    @Test func aHostWithAControlCharacterIsABadRequest() throws {
        try withBroker { broker throws in
            #expect(try Self.status(forHost: "127.0.0.1\u{0}", broker) == 400)
            #expect(try httpRequest(port: broker.port, path: "/__reload/health").status == 200)
        }
    }

    @Test func thousandsOfPipelinedRequestsInOneWriteAreAllAnswered() throws {
        try withBroker { broker throws in
            let socket = try TestSocket(port: broker.port)
            let one = "GET /__reload/health HTTP/1.1\r\nHost: [::1]\r\n\r\n"
            try socket.send(String(repeating: one, count: 2500))
            var reader = TestResponseReader()
            var answered = 0
            for _ in 0..<2500 where try reader.next(from: socket).status == 200 {
                answered += 1
            }
            #expect(answered == 2500)
        }
    }

    @Test func aHalfClosingClientStillGetsTheWholeResponse() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
        try withBroker({ $0.fallback = FixedBodyHandler(body: body, contentType: "application/octet-stream") }) { broker throws in
            let socket = try TestSocket(port: broker.port, receiveBuffer: 65536)
            try socket.send("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
            socket.shutdownWrite()
            let all = try socket.readToEnd(timeout: .seconds(30))
            guard let end = all.firstRange(of: [13, 10, 13, 10]) else {
                Issue.record("no response head")
                return
            }
            #expect(all.count - end.upperBound == body.count)
        }
    }

    @Test func aClosedConnectionsLargeResponseIsNotCutByTheLingerTime() throws {
        let body = [UInt8](repeating: UInt8(ascii: "y"), count: 8 << 20)
        try withBroker({
            $0.fallback = FixedBodyHandler(body: body, contentType: "application/octet-stream")
            $0.stopGracePeriod = .milliseconds(100)  // linger is at most this
        }) { broker throws in
            let socket = try TestSocket(port: broker.port, receiveBuffer: 65536)
            try socket.send("GET /big HTTP/1.0\r\nHost: localhost\r\n\r\n")
            let all = try socket.readToEnd(timeout: .seconds(30))
            guard let end = all.firstRange(of: [13, 10, 13, 10]) else {
                Issue.record("no response head")
                return
            }
            #expect(all.count - end.upperBound == body.count)
        }
    }

    @Test func headOfAnInjectedPageReportsTheInjectedLength() throws {
        try withBroker({ $0.servesDemoPage = true }) { broker throws in
            let get = try httpRequest(port: broker.port, path: "/")
            let head = try httpRequest(port: broker.port, method: "HEAD", path: "/")
            #expect(head.headers["Content-Length"] == String(get.body.count))
        }
    }

    @Test func concurrentStopsAllReturn() throws {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.loops = 2
        let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        let done = Locked(0)
        let threads = (0..<4).map { _ in
            Thread { broker.stop(); done.withLock { $0 += 1 } }
        }
        for thread in threads { thread.start() }
        #expect(eventually { done.withLock { $0 } == 4 })
    }
}
