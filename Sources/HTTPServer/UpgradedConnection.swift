import UVLoop

/// A connection the server has handed over after a `101 Switching Protocols`
/// (``HTTPResponder/upgrade(_:)``): the server no longer reads it, times it or closes it.
/// The new owner sets itself as the TCP delegate and starts reading.
public struct UpgradedConnection {
    /// The socket, now the new owner's.
    public let tcp: TCPConnection
    /// Bytes the client sent after its upgrade request (they belong to the new protocol).
    public let bufferedBytes: [UInt8]
    /// The server's id of the connection (for logs).
    public let id: UInt64
}
