import UVLoop

/// Records what a connection reports, and runs the test's reactions to it.
final class RecordingPeer: TCPConnectionDelegate {
    /// Keeps the bytes (small exchanges), or only counts them (large ones).
    let keepsBytes: Bool
    private(set) var received: [UInt8] = []
    private(set) var receivedCount = 0
    private(set) var sawEnd = false
    private(set) var drains = 0
    private(set) var closes = 0
    private(set) var closeError: UVError?
    var onEnd: (TCPConnection) -> Void = { _ in }
    var onDrain: (TCPConnection) -> Void = { _ in }
    var onClose: () -> Void = {}

    init(keepsBytes: Bool = true) { self.keepsBytes = keepsBytes }

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        receivedCount += bytes.count
        guard keepsBytes else { return }
        for index in bytes.indices { received.append(bytes[index]) }
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        sawEnd = true
        onEnd(connection)
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        drains += 1
        onDrain(connection)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        closes += 1
        closeError = error
        onClose()
    }
}
