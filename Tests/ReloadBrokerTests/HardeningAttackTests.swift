#if canImport(Glibc)
import Glibc
#endif
import HTTPCodec
import ReloadBroker
import TestSupport
import Testing
import WebSocketCodec

/// Attacks at the socket level that the other suites do not cover: smuggling shapes followed by a
/// smuggled request, slow readers under a stream of broadcasts, a connection flood, oversized and
/// lying frame headers, ping floods. Each also checks that a well-behaved client is still served.
@Suite("Attacks over loopback sockets")
struct HardeningAttackTests {
    /// A well-behaved WebSocket client (connected and greeted).
    static func bystander(_ broker: ReloadBroker) throws -> TestWebSocket {
        let client = try TestWebSocket(port: broker.port)
        #expect(jsonField("type", in: try client.nextText()) == "hello")
        return client
    }

    /// The bystander still gets a reload, and plain HTTP is still answered.
    static func expectServed(_ broker: ReloadBroker, _ client: TestWebSocket) throws {
        let reached = broker.reloadAndWait()
        #expect((reached ?? 0) >= 1)
        var epoch = 0
        while epoch < broker.epoch {
            let message = try client.nextText(timeout: .seconds(10))
            epoch = Int(jsonField("epoch", in: message) ?? "") ?? epoch
        }
        #expect(epoch == broker.epoch)
        #expect(try httpRequest(port: broker.port, path: "/__reload/health").status == 200)
    }

    // MARK: Malformed Host headers

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

    // MARK: Request smuggling shapes

    /// Each is followed on the same connection by a second request that would be smuggled if the
    /// broker framed the first one differently from a proxy in front of it: it must never be answered.
    @Test(arguments: [
        ("Content-Length: 3\r\nContent-Length: 5", 400),  // duplicate, differing
        ("Content-Length: 3, 5", 400),  // one field, differing list
        ("Content-Length: 3\r\nContent-Length: 3, 5", 400),
        ("Transfer-Encoding: chunked\r\nContent-Length: 3", 400),  // TE before CL
        ("Content-Length: 3\r\nTransfer-Encoding: chunked", 400),  // CL before TE
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", 400),  // chunked twice
        ("Transfer-Encoding: chunked, identity", 501),  // chunked not last
        ("Transfer-Encoding: xchunked", 501),
        ("Transfer-Encoding:\r\n chunked", 400),  // obs-fold hides the coding
        ("X-Pad: a\r\n\tTransfer-Encoding: chunked", 400),  // obs-fold with a tab
        ("Transfer-Encoding : chunked", 400),  // whitespace before the colon
        ("Content-Length : 3", 400),
        ("Content-Length: +3", 400),
        ("Content-Length: 0x3", 400),
        ("Content-Length: 3\rX: y", 400),  // bare CR as a line end
        ("Host: evil.example", 400),  // a second Host
    ])
    func smugglingShapesGetTheirStatusAndNothingElse(fields: String, status: Int) throws {
        try withBroker { broker throws in
            let client = try Self.bystander(broker)
            let socket = try TestSocket(port: broker.port)
            let smuggled = "GET /__reload/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            try socket.send(
                "POST /__reload/trigger HTTP/1.1\r\nHost: 127.0.0.1\r\n\(fields)\r\n\r\n"
                    + "0\r\n\r\n" + smuggled)
            var reader = TestResponseReader()
            let response = try reader.next(from: socket)
            #expect(response.status == status)
            #expect(response.headers["Connection"]?.lowercased() == "close")
            // The connection ends and the smuggled request is never answered.
            let rest = reader.takeRemainder() + (try socket.readToEnd(timeout: .seconds(10)))
            #expect(!String(decoding: rest, as: UTF8.self).contains("HTTP/1.1"))
            #expect(broker.epoch == 0)  // the trigger did not fire
            try Self.expectServed(broker, client)
        }
    }

    @Test func transferEncodingInHTTP10IsRefused() throws {
        try withBroker { broker throws in
            let client = try Self.bystander(broker)
            let socket = try TestSocket(port: broker.port)
            try socket.send(
                "POST /__reload/trigger HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            var reader = TestResponseReader()
            #expect(try reader.next(from: socket).status == 400)
            #expect(try socket.readToEnd().isEmpty)
            try Self.expectServed(broker, client)
        }
    }

    // MARK: Slow readers

    /// A client that never reads while broadcasts flow is dropped once its writes stay blocked for
    /// the write timeout (not for its queue size: the cap is set high here), and a reading client
    /// keeps getting every broadcast meanwhile.
    @Test func aClientThatNeverReadsIsDroppedAfterTheWriteTimeout() throws {
        try withBroker({
            $0.writeTimeout = .milliseconds(300)
            $0.maxQueuedBytes = 64 * 1024 * 1024
        }) { broker throws in
            let stuck = try TestWebSocket(port: broker.port, receiveBuffer: 4096)
            _ = try stuck.nextText()
            let reader = try Self.bystander(broker)
            #expect(eventually { broker.connectedClients == 2 })
            let path = "/" + String(repeating: "s", count: 2_000) + ".css"
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            var rounds = 0
            while broker.connectedClients == 2, clock.now < deadline {
                for _ in 0..<19 { broker.reload(path: path) }
                _ = broker.reloadAndWait(path: path)
                rounds += 1
                // The reader gets each of them, or (had its socket been full) the coalesced latest.
                var epoch = 0
                while epoch < broker.epoch {
                    let message = try reader.nextText()
                    let next = Int(jsonField("epoch", in: message) ?? "") ?? 0
                    #expect(next > epoch)
                    epoch = next
                }
            }
            #expect(eventually { broker.connectedClients == 1 }, "the stuck client was not dropped after \(rounds) rounds")
            let stats = try #require(broker.statistics())
            #expect(stats.clients == 1)
            // Its socket ends (after whatever the kernel had buffered).
            _ = try stuck.socket.readToEnd(timeout: .seconds(10))
            try Self.expectServed(broker, reader)
        }
    }

    // MARK: Connection flood

    /// One peer opens 1,000 connections: half send a partial head and stall, half send nothing.
    /// A well-behaved client is served meanwhile, and the head timeout closes every flood connection.
    @Test func aThousandConnectionFloodFromOnePeer() throws {
        try withBroker({ $0.headTimeout = .seconds(2) }) { broker throws in
            var flood: [TestSocket] = []
            for index in 0..<1000 {
                let socket = try TestSocket(port: broker.port)
                if index % 2 == 0 { try socket.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") }
                flood.append(socket)
            }
            #expect(eventually { (broker.statistics()?.connections ?? 0) >= 1000 })
            let client = try Self.bystander(broker)
            try Self.expectServed(broker, client)
            for socket in flood {
                _ = try socket.readToEnd(timeout: .seconds(20))
            }
            #expect(eventually { broker.statistics()?.connections == 1 })
            try Self.expectServed(broker, client)
        }
    }

    // MARK: Oversized and lying frames

    static let oversizedHeaders: [([UInt8], UInt16)] = [
        // 64-bit length 2^62: 1009, without sending a payload.
        ([0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], 1009),
        // 64-bit length with its top bit set: 1002.
        ([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4], 1002),
        // 16-bit length just over the 4 KiB limit: 1009.
        ([0x81, 0xFE, 0x10, 0x01, 1, 2, 3, 4], 1009),
        // A ping announcing 126 bytes (control frames carry at most 125): 1002.
        ([0x89, 0xFE, 0x00, 0x7E, 1, 2, 3, 4], 1002),
        // A fragmented ping: 1002.
        ([0x09, 0x80, 1, 2, 3, 4], 1002),
    ]

    /// Frame headers that announce too much are refused from the header alone, before any payload.
    @Test(arguments: oversizedHeaders)
    func oversizedFrameHeadersAreRefusedAtOnce(header: [UInt8], code: UInt16) throws {
        try withBroker { broker throws in
            let client = try Self.bystander(broker)
            let attacker = try TestWebSocket(port: broker.port)
            _ = try attacker.nextText()
            try attacker.socket.send(header)
            guard case .close(let received, _) = try attacker.next() else {
                Issue.record("no close frame")
                return
            }
            #expect(received == code)
            _ = try attacker.socket.readToEnd(timeout: .seconds(10))
            try Self.expectServed(broker, client)
        }
    }

    /// A message split into fragments that are each small but together exceed the limit: 1009.
    @Test func fragmentsAddingUpPastTheLimitAre1009() throws {
        try withBroker { broker throws in
            let client = try Self.bystander(broker)
            let attacker = try TestWebSocket(port: broker.port)
            _ = try attacker.nextText()
            let piece = [UInt8](repeating: 0x61, count: 1500)
            let key: (UInt8, UInt8, UInt8, UInt8) = (9, 8, 7, 6)
            var wire = WebSocketFrameEncoder.frame(opcode: .text, payload: piece, fin: false, maskingKey: key)
            for _ in 0..<3 {
                wire += WebSocketFrameEncoder.frame(opcode: .continuation, payload: piece, fin: false, maskingKey: key)
            }
            try attacker.socket.send(wire)
            guard case .close(let code, _) = try attacker.next() else {
                Issue.record("no close frame")
                return
            }
            #expect(code == 1009)
            try Self.expectServed(broker, client)
        }
    }

    // MARK: Ping floods

    /// A flooder that reads gets a pong for every ping, with its payload.
    @Test func aReadingPingFlooderGetsEveryPong() throws {
        try withBroker { broker throws in
            let client = try Self.bystander(broker)
            let flooder = try TestWebSocket(port: broker.port)
            _ = try flooder.nextText()
            let count = 5_000
            var batch: [UInt8] = []
            for index in 0..<count {
                let payload = Array("\(index)".utf8)
                batch += WebSocketFrameEncoder.ping(payload, maskingKey: (1, 2, 3, 4))
                if batch.count > 16_384 {
                    try flooder.socket.send(batch)
                    batch = []
                }
            }
            try flooder.socket.send(batch)
            var pongs = 0
            while pongs < count {
                guard case .pong(let payload) = try flooder.next() else { continue }
                #expect(payload == Array("\(pongs)".utf8))
                pongs += 1
            }
            #expect(pongs == count)
            try Self.expectServed(broker, client)
        }
    }

    /// A flooder that never reads its pongs: its queue stays bounded by the per-client cap and it is
    /// dropped once over it; the broker keeps serving others.
    @Test func aPingFlooderThatDoesNotReadIsBoundedAndDropped() throws {
        try withBroker { broker throws in
            let client = try Self.bystander(broker)
            let flooder = try TestWebSocket(port: broker.port, receiveBuffer: 4096)
            _ = try flooder.nextText()
            #expect(eventually { broker.connectedClients == 2 })
            let ping = WebSocketFrameEncoder.ping([UInt8](repeating: 0x70, count: 125), maskingKey: (1, 2, 3, 4))
            let batch = Array([[UInt8]](repeating: ping, count: 100).joined())
            var maxQueued = 0
            var sendFailed = false
            for _ in 0..<400 {  // 40,000 pings, 5.3 MB of pongs owed
                do { try flooder.socket.send(batch) } catch {
                    sendFailed = true  // the broker closed the connection: dropped
                    break
                }
                if let stats = broker.statistics() { maxQueued = max(maxQueued, stats.maxQueuedBytes) }
                if broker.connectedClients == 1 { break }
            }
            #expect(maxQueued <= BrokerConfiguration().maxQueuedBytes + 4096)
            #expect(eventually { broker.connectedClients == 1 }, "flooder not dropped (send failed: \(sendFailed))")
            try Self.expectServed(broker, client)
        }
    }
}
