#if canImport(Glibc)
import Glibc
#endif
import HTTPCodec
import Logging
import ReloadBroker
import TestSupport
import Testing
import WebSocketCodec

@Suite("Broker over loopback sockets")
struct BrokerTests {
    @Test func handshakeGreetsWithInstanceAndEpoch() throws {
        try withBroker { broker throws in
            let client = try TestWebSocket(port: broker.port)
            let hello = try client.nextText()
            #expect(jsonField("type", in: hello) == "hello")
            #expect(jsonField("instance", in: hello) == broker.instanceID)
            #expect(jsonField("epoch", in: hello) == "0")
            #expect(jsonField("protocol", in: hello) == "1")
        }
    }

    @Test func reloadReachesEveryClientWithTheNewEpoch() throws {
        try withBroker { broker throws in
            let clients = try (0..<3).map { _ in try TestWebSocket(port: broker.port) }
            for client in clients { _ = try client.nextText() }
            #expect(eventually { broker.connectedClients == 3 })
            #expect(broker.reloadAndWait() == 3)
            for client in clients {
                let message = try client.nextText()
                #expect(jsonField("type", in: message) == "reload")
                #expect(jsonField("epoch", in: message) == "1")
            }
            #expect(broker.reloadAndWait(path: "styles/site.css") == 3)
            for client in clients {
                let message = try client.nextText()
                #expect(jsonField("type", in: message) == "css")
                #expect(jsonField("path", in: message) == "styles/site.css")
                #expect(jsonField("epoch", in: message) == "2")
            }
        }
    }

    @Test func aThousandClientsAllReceiveOneBroadcast() throws {
        // The clients read only at the end: on a loaded machine that can take past the default
        // ping interval, and a heartbeat drop is not what this test is about.
        try withBroker({ $0.pingInterval = .seconds(600) }) { broker throws in
            var clients: [TestWebSocket] = []
            for _ in 0..<1000 {
                let client = try TestWebSocket(port: broker.port)
                _ = try client.nextText()
                clients.append(client)
            }
            #expect(broker.reloadAndWait() == 1000)
            var received = 0
            for client in clients where jsonField("type", in: try client.nextText()) == "reload" {
                received += 1
            }
            #expect(received == 1000)
        }
    }

    @Test func triggerEndpointBroadcastsAndCountsClients() throws {
        try withBroker { broker throws in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            let response = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger",
                headers: [("Content-Type", "application/json")], body: Array(#"{"path":"/a.css"}"#.utf8))
            #expect(response.status == 200)
            #expect(jsonField("clients", in: response.text) == "1")
            #expect(jsonField("epoch", in: response.text) == "1")
            let message = try client.nextText()
            #expect(jsonField("type", in: message) == "css")
            #expect(jsonField("path", in: message) == "/a.css")
        }
    }

    @Test func healthReportsState() throws {
        try withBroker { broker throws in
            let response = try httpRequest(port: broker.port, path: "/__reload/health")
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(jsonField("instance", in: response.text) == broker.instanceID)
            #expect(jsonField("clients", in: response.text) == "0")
            #expect(jsonField("version", in: response.text) == BrokerVersion.current)
            let head = try httpRequest(port: broker.port, method: "HEAD", path: "/__reload/health")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test func servesTheClientScript() throws {
        try withBroker { broker throws in
            let response = try httpRequest(port: broker.port, path: "/__reload/client.js")
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"]?.hasPrefix("text/javascript") == true)
            #expect(response.headers["Cache-Control"] == "no-cache")  // revalidated on every use
            #expect(!response.body.isEmpty)
            let tag = try #require(response.headers["ETag"])
            #expect(tag.hasPrefix("\"") && tag.count == 34)
            // A reloading page (and its SharedWorker) revalidates: 304, no body.
            let again = try httpRequest(port: broker.port, path: "/__reload/client.js", headers: [("If-None-Match", tag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
            #expect(again.headers["ETag"] == tag)
            let stale = try httpRequest(port: broker.port, path: "/__reload/client.js", headers: [("If-None-Match", "\"0\"")])
            #expect(stale.status == 200)
            #expect(stale.body == response.body)
            let livereload = try httpRequest(port: broker.port, path: "/livereload.js", headers: [("If-None-Match", "W/" + tag)])
            #expect(livereload.status == 304)  // the same script, the same tag
        }
    }

    @Test func prefixIsConfigurable() throws {
        try withBroker({ $0.prefix = "dev/live/" }) { broker throws in
            #expect(try httpRequest(port: broker.port, path: "/dev/live/health").status == 200)
            #expect(try httpRequest(port: broker.port, path: "/__reload/health").status == 404)
            let client = try TestWebSocket(port: broker.port, path: "/dev/live/ws")
            #expect(jsonField("type", in: try client.nextText()) == "hello")
        }
    }

    @Test func answersPingsWithTheSamePayloadAndAppPings() throws {
        try withBroker { broker throws in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            try client.send(opcode: .ping, Array("are you there".utf8))
            #expect(try client.next() == .pong(Array("are you there".utf8)))
            try client.sendText(#"{"type":"ping"}"#)
            #expect(jsonField("type", in: try client.nextText()) == "pong")
        }
    }

    @Test func closeHandshakeEchoesTheCodeThenCloses() throws {
        try withBroker { broker throws in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            try client.socket.send(WebSocketFrameEncoder.close(code: .normalClosure, reason: "bye", maskingKey: (9, 8, 7, 6)))
            #expect(try client.next() == .close(code: 1000, reason: ""))
            #expect(try client.socket.readToEnd().isEmpty)
            #expect(eventually { broker.connectedClients == 0 })
        }
    }

    @Test func protocolErrorsCloseWithTheirCodes() throws {
        try withBroker { broker throws in
            // Unmasked client frame: 1002.
            let unmasked = try TestWebSocket(port: broker.port)
            _ = try unmasked.nextText()
            try unmasked.socket.send(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("hi".utf8)))
            guard case .close(let code, _) = try unmasked.next() else { Issue.record("no close frame"); return }
            #expect(code == 1002)
            // Invalid UTF-8: 1007.
            let invalid = try TestWebSocket(port: broker.port)
            _ = try invalid.nextText()
            try invalid.send(opcode: .text, [0xC3, 0x28])
            guard case .close(let code2, _) = try invalid.next() else { Issue.record("no close frame"); return }
            #expect(code2 == 1007)
            // Too big: 1009 (the default limit is 4 KiB).
            let big = try TestWebSocket(port: broker.port)
            _ = try big.nextText()
            try big.send(opcode: .binary, [UInt8](repeating: 1, count: 8 * 1024))
            guard case .close(let code3, _) = try big.next() else { Issue.record("no close frame"); return }
            #expect(code3 == 1009)
        }
    }

    @Test func silentClientsAreDroppedAfterUnansweredPings() throws {
        try withBroker({
            $0.pingInterval = .milliseconds(100)
            $0.pongTimeout = .milliseconds(200)
        }) { broker throws in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            // This client never answers: it receives a ping, then the connection ends.
            #expect(try client.next() == .ping([]))
            #expect(try client.socket.readToEnd(timeout: .seconds(10)).isEmpty)
        }
    }

    @Test func aReloadBetweenRenderAndConnectIsNotLost() throws {
        try withBroker { broker throws in
            // The page is rendered at epoch 0 ...
            let tag = broker.scriptTag
            #expect(tag.contains(#"data-epoch="0""#))
            #expect(tag.contains(#"data-instance="\#(broker.instanceID)""#))
            // ... a reload happens before its socket opens ...
            #expect(broker.reloadAndWait() == 0)
            // ... and the hello tells the page it is behind.
            let client = try TestWebSocket(port: broker.port)
            let hello = try client.nextText()
            #expect(jsonField("epoch", in: hello) == "1")
        }
    }

    @Test func aRestartedBrokerHasANewInstance() throws {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        let first = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try first.start()
        let port = first.port
        let firstInstance = first.instanceID
        let client = try TestWebSocket(port: port)
        _ = try client.nextText()
        first.stop()
        guard case .close(let code, _) = try client.next() else { Issue.record("no close frame"); return }
        #expect(code == 1001)

        configuration.port = port
        let second = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try second.start()
        defer { second.stop() }
        let again = try TestWebSocket(port: port)
        let hello = try again.nextText()
        #expect(jsonField("instance", in: hello) == second.instanceID)
        #expect(second.instanceID != firstInstance)
    }

    @Test func stopWithAThousandClientsSendsCloseFramesAndReturns() throws {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        var clients: [TestWebSocket] = []
        for _ in 0..<1000 {
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            clients.append(client)
        }
        // None of these clients answers the close frame: stop must still return (grace period 1 s).
        broker.stop()
        var goingAway = 0
        for client in clients {
            if case .close(let code, _) = try client.next(), code == 1001 { goingAway += 1 }
        }
        #expect(goingAway == 1000)
        #expect(throws: (any Error).self) { try TestSocket(port: broker.port) }
    }

    @Test func stopIsIdempotentAndWorksBeforeStart() throws {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        let never = try ReloadBroker(configuration: configuration, logger: quietLogger)
        never.stop()
        never.stop()
        let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        broker.stop()
        broker.stop()
        #expect(broker.reloadAndWait() == nil)
    }

    @Test func portInUseIsAClearError() throws {
        try withBroker { broker throws in
            var configuration = BrokerConfiguration()
            configuration.port = broker.port
            #expect {
                _ = try ReloadBroker(configuration: configuration, logger: quietLogger)
            } throws: { error in
                guard let error = error as? BrokerError, case .addressInUse = error else { return false }
                return "\(error)".contains("already in use")
            }
        }
    }

    @Test func aClientThatDoesNotReadKeepsAtMostOnePendingReload() throws {
        try withBroker { broker throws in
            // A small receive window and large messages, so the kernel buffers fill quickly.
            let stuck = try TestWebSocket(port: broker.port, receiveBuffer: 4096)
            _ = try stuck.nextText()
            let reader = try TestWebSocket(port: broker.port)
            _ = try reader.nextText()
            let path = "/" + String(repeating: "x", count: 2000) + ".css"
            for _ in 0..<9_999 { broker.reload(path: path) }
            #expect(broker.reloadAndWait(path: path) == 2)
            let stats = try #require(broker.statistics())
            // Bounded: queued bytes stay under the per-client cap (coalescing, not queueing).
            #expect(stats.maxQueuedBytes <= BrokerConfiguration().maxQueuedBytes + 4096)
            #expect(stats.clients == 2)
            // The reading client gets the latest broadcast.
            var latest = 0
            while latest < 10_000 {
                let message = try reader.nextText()
                latest = Int(jsonField("epoch", in: message) ?? "") ?? latest
            }
            #expect(latest == 10_000)
            // The stuck client, once it reads, also ends at the latest epoch (coalesced).
            var stuckLatest = 0
            while stuckLatest < 10_000 {
                let message = try stuck.nextText()
                stuckLatest = Int(jsonField("epoch", in: message) ?? "") ?? stuckLatest
            }
            #expect(stuckLatest == 10_000)
        }
    }
}
