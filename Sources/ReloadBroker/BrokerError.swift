import UVLoop

/// Why a broker could not start.
public enum BrokerError: Error, CustomStringConvertible, Sendable {
    case addressInUse(host: String, port: Int)
    case cannotListen(host: String, port: Int, UVError)
    case eventLoop(UVError)
    /// `run()` on a broker that was started or stopped before (a broker runs once).
    case alreadyStarted

    public var description: String {
        switch self {
        case .addressInUse(let host, let port):
            "port \(port) on \(host) is already in use (another broker running?); choose another with --port, or 0 for any free port"
        case .cannotListen(let host, let port, let error):
            "cannot listen on \(host):\(port): \(error.name) (\(error.message))"
        case .eventLoop(let error):
            "cannot start the event loop: \(error)"
        case .alreadyStarted:
            "the broker was started or stopped before: a broker runs once (make a new one to run again)"
        }
    }
}
