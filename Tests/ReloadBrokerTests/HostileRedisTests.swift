import ReloadBroker
import Testing
import TestSupport

/// A broken or hostile Redis cannot crash the broker nor make it hold much memory: each answer
/// ends the link (an outage), and local triggers keep working.
@Suite("Hostile Redis")
struct HostileRedisTests {
    static let answers: [(String, [UInt8])] = [
        ("a huge array count", Array("*2147483647\r\n".utf8)),
        ("a negative string length", Array("$-7\r\n".utf8)),
        ("arrays nested too deeply", Array(String(repeating: "*1\r\n", count: 20).utf8) + Array(":1\r\n".utf8)),
        ("OK where a subscription was expected", Array(String(repeating: "+OK\r\n", count: 4).utf8)),
        ("a string bigger than the limit", Array("$3000000\r\n".utf8) + [UInt8](repeating: 0x61, count: 2_600_000)),
        ("garbage", Array("hello, I am not Redis\r\n".utf8)),
        ("an error for everything", Array(String(repeating: "-ERR no\r\n", count: 4).utf8)),
    ]

    @Test(arguments: answers.indices)
    func aHostileAnswerIsAnOutageNotACrash(index: Int) throws {
        let (name, answer) = Self.answers[index]
        let redis = try HostileRedis(answer: answer)
        defer { redis.stop() }
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.stopGracePeriod = .milliseconds(100)
        configuration.cluster = .redis(url: RedisURL(host: "127.0.0.1", port: redis.port), channel: nil)
        try withBrokerConfiguration(configuration) { broker in
            let client = try TestWebSocket(port: broker.port)
            _ = try client.nextText()
            var health = ""
            let away = eventually {
                health = (try? httpRequest(port: broker.port, path: "/__reload/health").text) ?? ""
                return jsonField("outages", in: health).flatMap { Int($0) } ?? 0 >= 1
            }
            #expect(away, "\(name): \(health)")
            #expect(jsonField("connected", in: health) == "false", "\(name)")
            broker.reload()
            #expect(jsonField("type", in: try client.nextText()) == "reload", "\(name)")
        }
    }
}
