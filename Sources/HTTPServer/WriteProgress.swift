/// Whether a connection's queued output is moving: a pure clock-driven check, the same for HTTP
/// responses and WebSocket frames. The sweep feeds it the connection's counters and its `now`.
public struct WriteProgress: Sendable, Equatable {
    /// What the check found.
    public enum Verdict: Sendable, Equatable {
        /// Nothing is queued.
        case idle
        /// Output is queued and has moved (or just started waiting).
        case waiting
        /// Output has been queued without any progress for longer than the timeout.
        case stalled
    }

    /// Since when queued output has made no progress (0: nothing queued).
    public private(set) var blockedSince: UInt64 = 0
    /// The completed-write count when last checked (any completed write is progress).
    public private(set) var lastCompletedWrites = 0

    public init() {}

    /// Looks at the connection's queue at `now`.
    public mutating func check(queuedBytes: Int, completedWrites: Int, now: UInt64, timeout: UInt64) -> Verdict {
        guard queuedBytes > 0 else {
            blockedSince = 0
            return .idle
        }
        if blockedSince == 0 || completedWrites != lastCompletedWrites {
            blockedSince = now
            lastCompletedWrites = completedWrites
            return .waiting
        }
        return now - blockedSince > timeout ? .stalled : .waiting
    }

    /// The queue drained.
    public mutating func drained() {
        blockedSince = 0
    }
}
