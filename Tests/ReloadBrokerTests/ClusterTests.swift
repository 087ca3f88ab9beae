import ReloadBroker
import Testing
import TestSupport

/// Several brokers on loopback sharing a real redis-server (started per test on a free port).
@Suite("Cluster through Redis", .enabled(if: RedisServer.binary != nil, Comment(rawValue: RedisServer.missing)))
struct ClusterTests {
    @Test func oneTriggerReachesEveryClientOnceWithOneEpoch() throws {
        let cluster = try ClusterFixture(brokers: 3)
        defer { cluster.stop() }
        try cluster.trigger(at: 1)
        let first = try cluster.nextMessages()
        #expect(first.count == 9)
        #expect(first.allSatisfy { jsonField("type", in: $0) == "reload" })
        let epochs = Set(first.compactMap(epoch(of:)))
        #expect(epochs.count == 1)
        // Once: the next message of every client is the next trigger's, one epoch later.
        try cluster.trigger(at: 2)
        let second = try cluster.nextMessages()
        #expect(Set(second.compactMap(epoch(of:))) == [epochs.first! + 1])
        #expect(try jsonField("lastEpoch", in: cluster.health(0)) == String(epochs.first! + 1))
    }

    @Test func aStylesheetTriggerCarriesItsPath() throws {
        let cluster = try ClusterFixture(brokers: 3)
        defer { cluster.stop() }
        try cluster.trigger(at: 2, path: "/styles/site.css")
        for message in try cluster.nextMessages() {
            #expect(jsonField("type", in: message) == "css")
            #expect(jsonField("path", in: message) == "/styles/site.css")
        }
    }

    @Test func thirtyTriggersArriveInStrictlyIncreasingEpochs() throws {
        let cluster = try ClusterFixture(brokers: 3, clientsPerBroker: 2)
        defer { cluster.stop() }
        for index in 0..<30 { try cluster.trigger(at: index % 3) }
        var sequences: [[Int]] = []
        for clients in cluster.clients {
            for client in clients {
                sequences.append(try (0..<30).map { _ in try #require(epoch(of: client.nextText())) })
            }
        }
        for sequence in sequences {
            #expect(zip(sequence, sequence.dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(Set(sequences.map { $0 }).count == 1, "every client saw the same epochs")
    }

    @Test func redisKilledAndRestartedGivesOneCatchUpReloadAndNoClientIsDropped() throws {
        let cluster = try ClusterFixture(brokers: 3)
        defer { cluster.stop() }
        try cluster.trigger(at: 0)
        let before = try #require(Set(try cluster.nextMessages().compactMap(epoch(of:))).first)

        try cluster.redis.kill()
        for index in 0..<3 { try cluster.waitUntil(index, is: "away") }
        // Local triggers still reload that broker's clients, at once (two: coalesced later).
        try cluster.trigger(at: 0)
        let local = try cluster.nextMessages(of: [0])
        #expect(local.allSatisfy { jsonField("type", in: $0) == "reload" && epoch(of: $0) == before + 1 })
        try cluster.trigger(at: 0, path: "/a.css")
        #expect(try cluster.nextMessages(of: [0]).allSatisfy { jsonField("type", in: $0) == "css" })
        #expect(try jsonField("outages", in: cluster.health(1)) == "1")

        try cluster.redis.start()
        for index in 0..<3 { try cluster.waitUntil(index, is: "connected") }
        // The others get exactly one catch-up reload, without a new trigger…
        let caughtUp = try cluster.nextMessages(of: [1, 2])
        #expect(caughtUp.allSatisfy { jsonField("type", in: $0) == "reload" })
        // …and then, like broker 0's clients (which had theirs already), the next cluster trigger.
        try cluster.trigger(at: 2)
        let after = try cluster.nextMessages()
        #expect(after.allSatisfy { jsonField("type", in: $0) == "reload" })
        #expect(Set(after.compactMap(epoch(of:))).count == 1)
        let afterEpoch = try #require(epoch(of: after[0]))
        #expect(caughtUp.allSatisfy { epoch(of: $0)! > before && epoch(of: $0)! < afterEpoch })
        // No client was dropped.
        for index in 0..<3 { #expect(cluster.brokers[index].connectedClients == 3) }
    }

    @Test func aRestartedBrokerRejoins() throws {
        let cluster = try ClusterFixture(brokers: 3)
        defer { cluster.stop() }
        try cluster.trigger(at: 0)
        _ = try cluster.nextMessages()
        cluster.stopBroker(2)
        try cluster.trigger(at: 1)
        _ = try cluster.nextMessages(of: [0, 1])
        try cluster.replaceBroker(2)
        try cluster.trigger(at: 2)
        let messages = try cluster.nextMessages()
        #expect(messages.count == 9)
        #expect(Set(messages.compactMap(epoch(of:))).count == 1)
        #expect(try jsonField("epoch", in: cluster.health(2)) == String(epoch(of: messages[0])!))
    }

    @Test func aBrokerWithSeveralLoopsPublishesFromAnyLoopAndDeliversOnAll() throws {
        let redis = try RedisServer()
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.loops = 2
        configuration.stopGracePeriod = .milliseconds(100)
        configuration.cluster = .redis(url: try RedisURL.parse(redis.url), channel: nil)
        let other = try ClusterFixtureBroker(redis: redis)
        defer { other.broker.stop() }
        try withBrokerConfiguration(configuration) { broker in
            #expect(eventually { (try? httpRequest(port: broker.port, path: "/__reload/health").text)?.contains(#""connected":true"#) == true })
            var clients: [TestWebSocket] = []
            for _ in 0..<40 {
                let client = try TestWebSocket(port: broker.port)
                _ = try client.nextText()
                clients.append(client)
            }
            // HTTP triggers land on either loop; each goes through the primary loop's cluster layer.
            for _ in 0..<4 { _ = try httpRequest(port: broker.port, method: "POST", path: "/__reload/trigger") }
            try other.trigger()
            for client in clients + [other.client] {
                let epochs = try (0..<5).map { _ in try #require(epoch(of: client.nextText())) }
                #expect(epochs == Array(epochs[0]..<epochs[0] + 5))
            }
        }
    }

    @Test func anUnreachableRedisIsNotFatal() throws {
        let port = try freePort()
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.cluster = .redis(url: try RedisURL.parse("redis://127.0.0.1:\(port)"), channel: nil)
        try withBrokerConfiguration(configuration) { broker in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            #expect(eventually { (try? httpRequest(port: broker.port, path: "/__reload/health").text)?.contains(#""state":"away""#) == true })
            broker.reload()
            #expect(jsonField("type", in: try client.nextText()) == "reload")
        }
    }

    @Test func theHealthNeverShowsThePassword() throws {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        let port = try freePort()
        configuration.cluster = .redis(url: try RedisURL.parse("redis://me:s3cret@127.0.0.1:\(port)/2"), channel: nil)
        try withBrokerConfiguration(configuration) { broker in
            let health = try httpRequest(port: broker.port, path: "/__reload/health").text
            #expect(!health.contains("s3cret"))
            #expect(health.contains("redis://me:***@127.0.0.1:\(port)/2"))
        }
    }
}

/// One more broker on the same Redis, with one client.
struct ClusterFixtureBroker {
    let broker: ReloadBroker
    let client: TestWebSocket

    init(redis: RedisServer) throws {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.stopGracePeriod = .milliseconds(100)
        configuration.cluster = .redis(url: try RedisURL.parse(redis.url), channel: nil)
        broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        client = try TestWebSocket(port: broker.port)
        _ = try client.nextText()
        let port = broker.port
        guard eventually({ (try? httpRequest(port: port, path: "/__reload/health").text)?.contains(#""connected":true"#) == true })
        else { throw TestClientError(description: "the extra broker never linked") }
    }

    func trigger() throws { _ = try httpRequest(port: broker.port, method: "POST", path: "/__reload/trigger") }
}

func withBrokerConfiguration(_ configuration: BrokerConfiguration, _ body: (ReloadBroker) throws -> Void) throws {
    let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
    try broker.start()
    defer { broker.stop() }
    try body(broker)
}
