/// Takes the client's bytes after ``HTTPResponder/switchProtocols(_:receiver:)``. Loop-bound.
public protocol TunnelReceiver: AnyObject {
    /// Bytes from the client, as they arrive.
    func tunnelReceive(_ bytes: [UInt8])
    /// The client shut down its sending side.
    func tunnelEnded()
}
