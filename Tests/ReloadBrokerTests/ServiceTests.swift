import Logging
import ReloadBroker
import ServiceLifecycle
import TestSupport
import Testing
import UVLoop
import WebSocketCodec

/// A service that does nothing until the group shuts down (the app beside the broker).
private struct IdleService: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}

/// A service that ends on its own at once (a group ends when any service ends).
private struct FinishingService: Service {
    func run() async throws {}
}

/// Runs blocking socket work on a thread of its own, off the concurrency pool the group runs on.
private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    var thread: LoopThread?
    let result: T = try await withCheckedThrowingContinuation { continuation in
        do {
            thread = try LoopThread { continuation.resume(with: Result { try body() }) }
        } catch {
            continuation.resume(throwing: error)
        }
    }
    thread?.join()
    return result
}

/// How long a client waits for the close frame a shutdown sends. The shutdown reaches the broker
/// through the service group's tasks, on the cooperative pool, which the blocking tests of other
/// suites running meanwhile can hold for well over the clients' usual 10 s (two cores: two threads).
private let shutdownWait: Duration = .seconds(60)

/// Connected test clients, handed between the test's task and the threads that read them.
private final class Clients: @unchecked Sendable {
    let sockets: [TestWebSocket]
    init(_ sockets: [TestWebSocket]) { self.sockets = sockets }
}

private func makeBroker() throws -> ReloadBroker {
    var configuration = BrokerConfiguration()
    configuration.port = 0
    return try ReloadBroker(configuration: configuration, logger: quietLogger)
}

@Suite("ReloadBroker as a swift-service-lifecycle Service", .timeLimit(.minutes(1)))
struct ServiceTests {
    @Test func gracefulShutdownClosesEveryClientWith1001AndRunReturns() async throws {
        let broker = try makeBroker()
        let group = ServiceGroup(services: [broker, IdleService()], logger: quietLogger)
        let running = Task { try await group.run() }
        let port = broker.port
        let clients = try await onThread {
            Clients(try (0..<3).map { _ in
                let client = try TestWebSocket(port: port)
                _ = try client.nextText()  // the hello: the broker is serving
                return client
            })
        }
        #expect(broker.connectedClients == 3)

        await group.triggerGracefulShutdown()  // what SIGTERM does in a group that handles it
        let codes = try await onThread {
            try clients.sockets.map { client -> UInt16? in
                guard case .close(let code, _) = try client.next(timeout: shutdownWait) else { return nil }
                try client.socket.send(WebSocketFrameEncoder.close(code: .goingAway, reason: "", maskingKey: (1, 2, 3, 4)))
                client.socket.close()  // the handshake done: the broker need not wait out its grace period
                return code
            }
        }
        #expect(codes == [1001, 1001, 1001])
        try await running.value  // run() returned, without an error
        #expect(throws: (any Error).self) { try TestSocket(port: port) }
    }

    @Test func anotherServiceEndingStopsTheBroker() async throws {
        let broker = try makeBroker()
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: broker), .init(service: FinishingService(), successTerminationBehavior: .gracefullyShutdownGroup)],
                logger: quietLogger))
        try await group.run()
        #expect(throws: (any Error).self) { try TestSocket(port: broker.port) }
    }

    @Test func cancellingTheTaskStopsTheBroker() async throws {
        let broker = try makeBroker()
        let running = Task { try await broker.run() }
        let port = broker.port
        let client = try await onThread { () -> Clients in
            let client = try TestWebSocket(port: port)
            _ = try client.nextText()
            return Clients([client])
        }
        running.cancel()
        let code = try await onThread { () -> UInt16? in
            guard case .close(let code, _) = try client.sockets[0].next(timeout: shutdownWait) else { return nil }
            return code
        }
        #expect(code == 1001)
        try await running.value
    }

    @Test func stopFromAnotherThreadEndsRun() async throws {
        let broker = try makeBroker()
        let running = Task { try await broker.run() }
        let port = broker.port
        _ = try await onThread { () -> Bool in
            let client = try TestWebSocket(port: port)
            _ = try client.nextText()
            broker.stop()
            return true
        }
        try await running.value  // run() returned, without an error
        #expect(throws: (any Error).self) { try TestSocket(port: port) }
    }

    @Test func aPortInUseThrowsBeforeTheGroupStarts() throws {
        let holder = try makeBroker()
        defer { holder.stop() }
        var configuration = BrokerConfiguration()
        configuration.port = holder.port
        #expect {
            _ = try ReloadBroker(configuration: configuration, logger: quietLogger)
        } throws: { error in
            guard case BrokerError.addressInUse(_, let port) = error else { return false }
            return port == holder.port
        }
    }

    @Test func runningABrokerTwiceThrowsFromTheGroup() async throws {
        let broker = try makeBroker()
        try broker.start()
        defer { broker.stop() }
        let group = ServiceGroup(services: [broker, IdleService()], logger: quietLogger)
        await #expect {
            try await group.run()
        } throws: { error in
            guard case BrokerError.alreadyStarted = error else { return false }
            return true
        }
    }
}
