import Foundation
import Testing
import TestSupport

@Suite("CLI --redis")
struct ClusterCLITests {
    @Test(arguments: [
        ["serve", "--redis", "http://127.0.0.1:6379"], ["serve", "--redis", "redis://u:hunter2@h:99999"],
        ["proxy", "--upstream", "http://127.0.0.1:1", "--redis", "redis://:hunter2"],
        ["serve", "--redis-channel", "x"], ["serve", "--redis", "redis://h", "--redis-channel", "a b"],
    ])
    func aMalformedURLExits64WithOneClearLine(arguments: [String]) throws {
        let result = try runBroker(arguments + ["--port", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error: --redis"))
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test func anUnreachableRedisIsNotFatalAndTheCLITriggerStillReloads() throws {
        let redisPort = try freePort()
        let (broker, port) = try startServe(["--redis", "redis://app:hunter2@127.0.0.1:\(redisPort)"])
        _ = try broker.waitForError(containing: "unreachable")
        let client = try TestWebSocket(port: port)
        _ = try client.nextText()
        let trigger = try ChildProcess(["trigger", "--url", "http://127.0.0.1:\(port)/__reload"])
        #expect(try trigger.waitForExit() == 0)
        #expect(jsonField("type", in: try client.nextText()) == "reload")
        let health = try httpRequest(port: port, path: "/__reload/health").text
        #expect(health.contains(#""connected":false"#))
        #expect(!broker.stderr.contains("hunter2") && !health.contains("hunter2"))
    }

    @Test(.enabled(if: RedisServer.binary != nil, Comment(rawValue: RedisServer.missing)))
    func twoServeProcessesShareATrigger() throws {
        let redis = try RedisServer()
        let (first, firstPort) = try startServe(["--redis", redis.url, "--redis-channel", "cli-test"])
        let (second, secondPort) = try startServe(["--redis", redis.url, "--redis-channel", "cli-test"])
        _ = try first.waitForError(containing: "cluster: connected")
        _ = try second.waitForError(containing: "cluster: connected")
        let client = try TestWebSocket(port: secondPort)
        _ = try client.nextText()
        let trigger = try ChildProcess(["trigger", "--url", "http://127.0.0.1:\(firstPort)/__reload", "--path", "/site.css"])
        _ = try trigger.waitForExit()
        let message = try client.nextText()
        #expect(jsonField("type", in: message) == "css")
        #expect(jsonField("path", in: message) == "/site.css")
    }
}
