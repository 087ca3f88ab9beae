/// The deadlines of an HTTP connection, in loop milliseconds.
public struct HTTPServerTimeouts: Sendable, Equatable {
    /// A client must finish its request head within this time (slowloris defence).
    public var head: UInt64
    /// An idle keep-alive connection is closed after this time.
    public var idle: UInt64
    /// A connection whose queued output makes no progress for this long is dropped.
    public var write: UInt64
    /// After the last response of a closing connection is out, how long the peer gets to go away
    /// (its unread input is discarded meanwhile, so it reads the response instead of a reset).
    public var linger: UInt64

    public init(head: UInt64 = 10_000, idle: UInt64 = 15_000, write: UInt64 = 10_000, linger: UInt64 = 1000) {
        self.head = head
        self.idle = idle
        self.write = write
        self.linger = linger
    }

    /// How often one sweep timer must look to honour the shortest deadline (at most once a second).
    public var sweepInterval: UInt64 {
        max(10, min(1000, min(head, idle, write, linger) / 4))
    }
}
