/// A WebSocket client's liveness, as the sweep sees it: pure, the clock passed in (loop
/// milliseconds), so the ping and pong timeouts are tested without waiting for them.
struct Heartbeat: Equatable {
    /// What the sweep should do.
    enum Verdict: Equatable {
        /// Heard from recently, or a ping is on its way: nothing to do.
        case alive
        /// Silent for the ping interval: send a ping.
        case ping
        /// Our ping went unanswered for the pong timeout: drop the client.
        case dead
    }

    /// Last time anything was read.
    private(set) var lastHeard: UInt64
    /// When our unanswered ping was sent (0: none outstanding).
    private(set) var pingSentAt: UInt64 = 0

    init(now: UInt64) {
        lastHeard = now
    }

    /// Anything arrived.
    mutating func heard(at now: UInt64) {
        lastHeard = now
    }

    /// A pong arrived: the outstanding ping is answered.
    mutating func ponged() {
        pingSentAt = 0
    }

    /// We sent a ping.
    mutating func pinged(at now: UInt64) {
        pingSentAt = now
    }

    func check(now: UInt64, pingInterval: UInt64, pongTimeout: UInt64) -> Verdict {
        if pingSentAt != 0 {
            return now - pingSentAt > pongTimeout ? .dead : .alive
        }
        return now - lastHeard > pingInterval ? .ping : .alive
    }
}
