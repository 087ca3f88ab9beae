import UVLoop

/// The end of a connection after its last bytes (an HTTP connection's last response, a WebSocket's
/// close frame): a half-close once the queued output is out, the peer's further input read and
/// discarded, and the close when the peer goes away or, once our output is out, after the linger
/// time. The peer so reads what we sent instead of a reset (closing a socket with unread input
/// sends RST).
///
/// No timer: the deadline is a value the owner's sweep checks against the loop's `now`
/// (``isOver(at:)``). One place for the socket calls, used by the server's connections and by
/// whoever owns an upgraded one.
public struct Linger: Sendable, Equatable {
    /// End of the linger time, in loop milliseconds; 0 while our output is still queued (the write
    /// timeout guards a peer that stops reading meanwhile).
    public private(set) var deadline: UInt64

    /// Starts lingering on `tcp`: half-closes it after its queued output and keeps reading (to
    /// discard) until the peer's EOF. When the peer's input already ended and nothing is queued,
    /// there is nothing to wait for: it closes at once.
    public init(starting tcp: TCPConnection, inputEnded: Bool, now: UInt64, duration: UInt64) {
        tcp.shutdown()
        if inputEnded {
            if tcp.queuedBytes == 0 { tcp.close() }
        } else {
            tcp.startReading()
        }
        deadline = tcp.queuedBytes > 0 ? 0 : now + duration
    }

    /// Our output is out: close when the peer's input already ended, else the linger time starts.
    public mutating func outputDrained(_ tcp: TCPConnection, inputEnded: Bool, now: UInt64, duration: UInt64) {
        if inputEnded {
            tcp.close()
        } else {
            deadline = now + duration
        }
    }

    /// The peer ended its input: close, unless our output is still on its way (then it closes
    /// when that is out, ``outputDrained(_:inputEnded:now:duration:)``).
    public func inputEnded(_ tcp: TCPConnection) {
        if tcp.queuedBytes == 0 { tcp.close() }
    }

    /// A linger whose time ends at `deadline` (0: output still queued), for the deadline tests.
    init(deadline: UInt64) {
        self.deadline = deadline
    }

    /// Whether the linger time is over at `now`.
    public func isOver(at now: UInt64) -> Bool {
        deadline != 0 && now >= deadline
    }
}
