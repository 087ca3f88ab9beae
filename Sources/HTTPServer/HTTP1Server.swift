import HTTPCodec
import Logging
import UVLoop

/// An HTTP/1.1 server on one event loop: it accepts connections, parses requests, asks its
/// ``router`` who answers each one, keeps connections alive, enforces the head, idle, write and
/// linger deadlines with one sweep timer, and hands upgraded connections to their new owner.
/// It knows nothing of what it serves.
///
/// Loop-bound: create it, use it and stop it on its loop's thread (creating it before the loop
/// runs is fine).
public final class HTTP1Server {
    public let loop: EventLoop
    public let configuration: HTTPServerConfiguration
    public let logger: Logger
    /// Who answers requests (held weakly: it usually owns the server). Nil: every request gets 503.
    public weak var router: (any HTTPRouter)?
    /// Runs on every response (nil: none).
    public var responseFilter: (any ResponseFilter)?
    /// Called once, when a stopped server's last connection has closed.
    public var onStopped: (() -> Void)?
    /// Stopping: no new connections, no keep-alive.
    public private(set) var isStopping = false
    /// Stopped: every connection is closed and ``onStopped`` has been called.
    public private(set) var isStopped = false

    private var listener: TCPListener?
    private let sweepTimer: LoopTimer
    private var nextConnectionID: UInt64 = 0
    /// Every open connection; each knows its index (O(1) removal).
    private(set) var connections: [HTTPServerConnection] = []

    /// Binds and listens (connections are accepted once the loop runs).
    public init(loop: EventLoop, configuration: HTTPServerConfiguration, logger: Logger) throws(UVError) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.sweepTimer = LoopTimer(loop: loop)
        let listener: TCPListener
        do throws(UVError) {
            listener = try TCPListener(
                loop: loop, host: configuration.host, port: configuration.port, reusePort: configuration.reusePort)
        } catch {
            sweepTimer.close()
            throw error
        }
        do throws(UVError) {
            try listener.listen { [unowned self] connection in self.accept(connection) }
        } catch {
            listener.close()
            sweepTimer.close()
            throw error
        }
        self.listener = listener
        let interval = configuration.timeouts.sweepInterval
        sweepTimer.start(after: interval, repeatEvery: interval) { [unowned self] in self.sweep() }
    }

    /// The bound port (the real one when the configuration asked for 0; 0 once stopped).
    public var port: Int { listener?.localPort ?? 0 }
    /// Open HTTP connections (upgraded ones are no longer the server's).
    public var connectionCount: Int { connections.count }
    /// The most bytes queued on one connection now.
    public var largestQueuedBytes: Int { connections.map(\.tcp.queuedBytes).max() ?? 0 }

    /// Stops: no new connections, every open one closed; ``onStopped`` once they all are.
    public func stop() {
        guard !isStopping else { return }
        isStopping = true
        listener?.close()
        listener = nil
        for connection in connections { connection.tcp.close() }
        if connections.isEmpty { finish() }
    }

    // MARK: Connections

    private func accept(_ tcp: TCPConnection) {
        guard !isStopping else { tcp.close(); return }
        nextConnectionID &+= 1
        let connection = HTTPServerConnection(tcp: tcp, server: self, id: nextConnectionID)
        tcp.delegate = connection
        tcp.setNoDelay(true)
        connection.connectionIndex = connections.count
        connections.append(connection)
        tcp.startReading()
    }

    /// Forgets a connection (closed, or handed over by an upgrade).
    func remove(_ connection: HTTPServerConnection) {
        let position = connection.connectionIndex
        guard position >= 0 else { return }
        let last = connections.removeLast()
        if position < connections.count {
            connections[position] = last
            last.connectionIndex = position
        }
        connection.connectionIndex = -1
        if isStopping, connections.isEmpty { finish() }
    }

    private func finish() {
        guard !isStopped else { return }
        isStopped = true
        sweepTimer.close()
        let callback = onStopped
        onStopped = nil
        callback?()
    }

    // MARK: Sweep

    private func sweep() {
        let now = loop.now
        for connection in connections where connection.sweep(now: now) != .keep {
            // Closing removes it asynchronously (close callback): nothing shifts now.
            connection.tcp.close()
        }
    }
}
