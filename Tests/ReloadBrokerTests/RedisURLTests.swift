import ReloadBroker
import Testing

@Suite("Redis URL")
struct RedisURLTests {
    @Test func parsesEveryForm() throws {
        #expect(try RedisURL.parse("redis://127.0.0.1:6380") == RedisURL(host: "127.0.0.1", port: 6380))
        #expect(try RedisURL.parse("redis://cache.internal") == RedisURL(host: "cache.internal", port: 6379))
        #expect(try RedisURL.parse("REDIS://h:1/") == RedisURL(host: "h", port: 1))
        #expect(try RedisURL.parse("redis://[::1]:7000/3") == RedisURL(host: "::1", port: 7000, database: 3))
        #expect(try RedisURL.parse("redis://[::1]") == RedisURL(host: "::1"))
        #expect(
            try RedisURL.parse("redis://app:p%40ss%3Aw%2Frd@h:6379/15")
                == RedisURL(host: "h", username: "app", password: "p@ss:w/rd", database: 15))
        #expect(try RedisURL.parse("redis://:secret@h") == RedisURL(host: "h", password: "secret"))
        #expect(try RedisURL.parse("redis://secret@h") == RedisURL(host: "h", password: "secret"))
    }

    @Test(arguments: [
        ("127.0.0.1:6379", RedisURL.ParseError.scheme("")),
        ("http://h:1", .scheme("http")),
        ("rediss://h:1", .scheme("rediss")),
        ("redis://", .missingHost),
        ("redis://:pw@:6379", .missingHost),
        ("redis://h:0", .port),
        ("redis://h:65536", .port),
        ("redis://h:x", .port),
        ("redis://h:", .port),
        ("redis://[::1]x", .port),
        ("redis://h/-1", .database),
        ("redis://h/db", .database),
        ("redis://h/99999999999", .database),
        ("redis://h?db=1", .unsupported("a query (?…)")),
        ("redis://h#x", .unsupported("a fragment (#…)")),
        ("redis://a b", .encoding),
        ("redis://u:%zz@h", .encoding),
        ("redis://u:%ff@h", .encoding),
    ])
    func refusesMalformedURLs(text: String, error: RedisURL.ParseError) {
        #expect(throws: error) { try RedisURL.parse(text) }
    }

    @Test func errorsAndLogsNeverShowThePassword() throws {
        let url = try RedisURL.parse("redis://app:hunter2@10.0.0.5:6379/2")
        #expect(url.redacted == "redis://app:***@10.0.0.5:6379/2")
        #expect("\(url)" == url.redacted)
        #expect(try RedisURL.parse("redis://:hunter2@[::1]:1").redacted == "redis://:***@[::1]:1")
        // A URL broken around its password: the message repeats none of it.
        for text in ["redis://user:hunter2", "redis://:hunter2/x@h", "redis://u:hunter2@h:99999"] {
            do {
                _ = try RedisURL.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(!"\(error)".contains("hunter2"))
            }
        }
    }
}
