import Logging
import ReloadBroker
import TestSupport

/// Brokers sharing one real `redis-server`, each with its own WebSocket clients.
final class ClusterFixture {
    let redis: RedisServer
    private(set) var brokers: [ReloadBroker] = []
    private(set) var clients: [[TestWebSocket]] = []
    let clientsPerBroker: Int

    init(brokers count: Int, clientsPerBroker: Int = 3) throws {
        redis = try RedisServer()
        self.clientsPerBroker = clientsPerBroker
        for _ in 0..<count { try addBroker() }
    }

    /// Starts one more broker with its clients (each has read its hello), once it is linked.
    @discardableResult
    func addBroker() throws -> Int {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.cluster = .redis(url: try RedisURL.parse(redis.url), channel: "test-cluster")
        configuration.stopGracePeriod = .milliseconds(100)
        let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        brokers.append(broker)
        clients.append(try (0..<clientsPerBroker).map { _ in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()  // hello
            return client
        })
        let index = brokers.count - 1
        try waitUntil(index, is: "connected")
        return index
    }

    /// Stops a broker (its clients get a close frame; they are dropped from the fixture).
    func stopBroker(_ index: Int) {
        brokers[index].stop()
        clients[index] = []
    }

    func replaceBroker(_ index: Int) throws {
        let added = try addBroker()
        brokers.swapAt(index, added)
        clients.swapAt(index, added)
        brokers.removeLast()
        clients.removeLast()
    }

    /// The broker's `/health` JSON.
    func health(_ index: Int) throws -> String {
        try httpRequest(port: brokers[index].port, path: "/__reload/health").text
    }

    /// Waits (bounded) until the broker's cluster state is `state` (connected, away, connecting).
    func waitUntil(_ index: Int, is state: String) throws {
        var last = ""
        let reached = eventually {
            last = (try? health(index)) ?? ""
            return jsonField("state", in: last) == state
        }
        guard reached else { throw TestClientError(description: "broker \(index) never \(state): \(last)") }
    }

    @discardableResult
    func trigger(at index: Int, path: String? = nil) throws -> TestResponse {
        let query = path.map { "?path=\($0)" } ?? ""
        return try httpRequest(port: brokers[index].port, method: "POST", path: "/__reload/trigger\(query)")
    }

    /// The next message of every client of these brokers (nil: all).
    func nextMessages(of indices: [Int]? = nil) throws -> [String] {
        var messages: [String] = []
        for index in indices ?? Array(brokers.indices) {
            for client in clients[index] { messages.append(try client.nextText()) }
        }
        return messages
    }

    func stop() {
        for broker in brokers { broker.stop() }
    }

    deinit { stop() }
}

/// A message's epoch.
func epoch(of message: String) -> Int? { jsonField("epoch", in: message).flatMap { Int($0) } }
