import HTTPCodec
import UVLoop

/// A proxied connection after the app's `101 Switching Protocols` (a WebSocket, HMR): bytes both
/// ways as they arrive, each side paused while the other is slow, until both have shut down their
/// sending halves or either closes. Takes over from the ``ProxyExchange`` that got the `101`.
final class ProxyTunnel: TunnelReceiver, TCPConnectionDelegate {
    private let upstream: TCPConnection
    private let responder: HTTPResponder
    private var state = State.open
    /// Reading the client is paused until the app's side drains.
    private var clientPaused = false

    private enum State: Equatable {
        case open
        /// One side shut down its sending half; the other may still send.
        case halfClosed(by: Side)
        case closed
    }

    private enum Side {
        case client, app
    }

    init(upstream: TCPConnection, responder: HTTPResponder) {
        self.upstream = upstream
        self.responder = responder
    }

    /// Sends `head` (the app's `101`, rewritten for the client) and starts relaying; `buffered`
    /// is what the app sent after its head, already read.
    func start(head: ResponseHead, buffered: [UInt8]) {
        // The tunnel keeps itself alive as the app connection's delegate and through these
        // closures, until it closes.
        upstream.delegate = self
        responder.onClose = { self.close(abortingClient: false) }
        responder.onWritable = {
            guard self.state != .closed else { return }
            self.upstream.startReading()
        }
        let early = responder.switchProtocols(head, receiver: self)
        if !early.isEmpty { upstream.write(early) }
        if !buffered.isEmpty, !responder.write(buffered) { upstream.stopReading() }
    }

    // MARK: Client → app

    func tunnelReceive(_ bytes: [UInt8]) {
        guard state != .closed else { return }
        upstream.write(bytes)
        if upstream.queuedBytes >= ProxyExchange.highWater {
            clientPaused = true
            responder.pauseReading()
        }
    }

    func tunnelEnded() {
        ended(.client)
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        if clientPaused {
            clientPaused = false
            responder.resumeReading()
        }
    }

    // MARK: App → client

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        var copy: [UInt8] = []
        copy.reserveCapacity(bytes.count)
        for index in bytes.indices { copy.append(bytes[index]) }
        if !responder.write(copy) { connection.stopReading() }
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        ended(.app)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        close(abortingClient: true)
    }

    // MARK: Ending

    /// `side` shut down its sending half: the half-close is passed on to the other side, and once
    /// both have, the tunnel closes.
    private func ended(_ side: Side) {
        switch state {
        case .halfClosed(let first) where first != side:
            close(abortingClient: true)
        case .open, .halfClosed:
            state = .halfClosed(by: side)
            switch side {
            case .client: upstream.shutdown()
            case .app: responder.shutdownTunnel()
            }
        case .closed:
            break
        }
    }

    /// Closes the app's connection, and the client's unless it is gone already.
    private func close(abortingClient: Bool) {
        guard state != .closed else { return }
        state = .closed
        upstream.delegate = nil
        upstream.close()
        if abortingClient { responder.abort() }
    }
}
