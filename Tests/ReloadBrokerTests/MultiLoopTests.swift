import Foundation
import Logging
import ReloadBroker
import Testing
import TestSupport
import WebSocketCodec

@Suite("Several event loops")
struct MultiLoopTests {
    @Test func everyLoopDeliversEveryBroadcast() throws {
        try withBroker({ $0.loops = 3 }) { broker throws in
            var clients: [TestWebSocket] = []
            for _ in 0..<300 {
                let client = try TestWebSocket(port: broker.port)
                _ = try client.nextText()
                clients.append(client)
            }
            #expect(eventually { broker.connectedClients == 300 })
            let statistics = try #require(broker.statistics())
            #expect(statistics.clients == 300)
            // Triggered over HTTP (lands on any loop) and through the API (primary loop).
            let response = try httpRequest(port: broker.port, method: "POST", path: "/__reload/trigger")
            #expect(jsonField("clients", in: response.text) == "300")
            #expect(broker.reloadAndWait(path: "/x.css") == 300)
            var reloads = 0, swaps = 0
            for client in clients {
                if jsonField("type", in: try client.nextText()) == "reload" { reloads += 1 }
                if jsonField("type", in: try client.nextText()) == "css" { swaps += 1 }
            }
            #expect(reloads == 300)
            #expect(swaps == 300)
        }
    }

    /// A started broker on two loops (the stop tests stop it themselves).
    private func startedBroker() throws -> ReloadBroker {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.loops = 2
        let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        return broker
    }

    @Test func stopEndsEveryLoop() throws {
        let broker = try startedBroker()
        var clients: [TestWebSocket] = []
        for _ in 0..<50 { clients.append(try TestWebSocket(port: broker.port)) }
        broker.stop()
        var closed = 0
        for client in clients {
            // The hello comes first, then the close frame.
            for _ in 0..<2 {
                let event = try client.next()
                if event == .close(code: 1001, reason: "broker stopping") {
                    closed += 1
                    break
                }
            }
        }
        #expect(closed == 50)
        #expect(throws: (any Error).self) { try TestSocket(port: broker.port) }
    }

    @Test func concurrentStopsAllReturn() throws {
        let broker = try startedBroker()
        let returned = DispatchSemaphore(value: 0)
        let threads = (0..<4).map { _ in
            Thread {
                broker.stop()
                returned.signal()
            }
        }
        for thread in threads { thread.start() }
        // Each stop() returning is the event awaited (bounded: 10 s for all four).
        let deadline = DispatchTime.now() + .seconds(10)
        let stops = (0..<4).filter { _ in returned.wait(timeout: deadline) == .success }.count
        #expect(stops == 4)
        #expect(throws: (any Error).self) { try TestSocket(port: broker.port) }
    }
}

@Suite("Client limit")
struct ClientLimitTests {
    @Test func upgradesBeyondTheLimitGet503AndTriggersStillWork() throws {
        try withBroker({ $0.maxClients = 5 }) { broker throws in
            var clients: [TestWebSocket] = []
            for _ in 0..<5 {
                let client = try TestWebSocket(port: broker.port)
                _ = try client.nextText()
                clients.append(client)
            }
            #expect(throws: TestClientError.self) { try TestWebSocket(port: broker.port) }
            let trigger = try httpRequest(port: broker.port, method: "POST", path: "/__reload/trigger")
            #expect(trigger.status == 200)
            #expect(jsonField("clients", in: trigger.text) == "5")
            clients.removeLast().socket.close()
            #expect(eventually { broker.connectedClients == 4 })
            let again = try TestWebSocket(port: broker.port)
            #expect(jsonField("type", in: try again.nextText()) == "hello")
        }
    }
}
