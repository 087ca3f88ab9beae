import UVLoop

/// Watches an idle pooled connection: anything from the app (EOF, data, error) retires it.
final class IdleUpstream: TCPConnectionDelegate {
    unowned let proxy: ProxyState

    init(proxy: ProxyState) { self.proxy = proxy }

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) { proxy.dropIdle(connection) }
    func connectionDidReachEndOfInput(_ connection: TCPConnection) { proxy.dropIdle(connection) }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection, error: UVError?) { proxy.dropIdle(connection) }
}
