import HTTPCodec

/// How an ``HTTP1Server`` listens and what it tolerates from clients.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IP literal or `localhost`.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// Bind with `SO_REUSEPORT`, so several servers (one per loop) share the port.
    public var reusePort: Bool
    /// Limits of the request parser, and the largest body a collected request may have.
    public var limits: HTTPLimits
    /// A connection with more than this many bytes of output queued is told it is slow
    /// (``HTTPResponder/write(_:)`` returns false).
    public var maxQueuedBytes: Int
    /// Deadlines the server's sweep enforces.
    public var timeouts: HTTPServerTimeouts

    public init(
        host: String = "127.0.0.1", port: Int = 0, reusePort: Bool = false, limits: HTTPLimits = HTTPLimits(),
        maxQueuedBytes: Int = 64 * 1024, timeouts: HTTPServerTimeouts = HTTPServerTimeouts()
    ) {
        self.host = host
        self.port = port
        self.reusePort = reusePort
        self.limits = limits
        self.maxQueuedBytes = maxQueuedBytes
        self.timeouts = timeouts
    }
}
