@testable import ReloadBroker
import Testing

/// The WebSocket heartbeat rule with a clock the test drives (no real time passes).
@Suite("Heartbeat: ping and pong timeouts, clock injected")
struct HeartbeatTests {
    @Test func aClientHeardFromRecentlyIsLeftAlone() {
        let heartbeat = Heartbeat(now: 1000)
        #expect(heartbeat.check(now: 1000 + 20_000, pingInterval: 20_000, pongTimeout: 5000) == .alive)
    }

    @Test func silenceForThePingIntervalAsksForAPingAndAnythingHeardPostponesIt() {
        var heartbeat = Heartbeat(now: 1000)
        #expect(heartbeat.check(now: 21_001, pingInterval: 20_000, pongTimeout: 5000) == .ping)
        heartbeat.heard(at: 21_000)
        #expect(heartbeat.check(now: 21_001, pingInterval: 20_000, pongTimeout: 5000) == .alive)
    }

    @Test func anUnansweredPingIsDeadAfterThePongTimeoutAndAPongRevivesIt() {
        var heartbeat = Heartbeat(now: 0)
        heartbeat.pinged(at: 30_000)
        #expect(heartbeat.check(now: 35_000, pingInterval: 20_000, pongTimeout: 5000) == .alive)  // still within
        #expect(heartbeat.check(now: 35_001, pingInterval: 20_000, pongTimeout: 5000) == .dead)
        heartbeat.ponged()
        heartbeat.heard(at: 35_001)
        #expect(heartbeat.check(now: 35_002, pingInterval: 20_000, pongTimeout: 5000) == .alive)
    }

    @Test func dataWithoutAPongDoesNotAnswerThePing() {
        // Only a pong answers: a client that sends but never pongs is still dropped.
        var heartbeat = Heartbeat(now: 0)
        heartbeat.pinged(at: 20_001)
        heartbeat.heard(at: 24_000)
        #expect(heartbeat.check(now: 25_002, pingInterval: 20_000, pongTimeout: 5000) == .dead)
    }
}
