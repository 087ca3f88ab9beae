import CLibUV

/// An error reported by libuv: the negative status code of a call, with the
/// name of the operation that failed.
///
/// libuv reports failures as negative integers (`UV_EADDRINUSE`, ...); this
/// type keeps the code and turns it into text through `uv_err_name` and
/// `uv_strerror`, so a caller can both match on it and print it.
public struct UVError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The negative libuv status code.
    public let code: Int32
    /// What was being done, e.g. `"uv_tcp_bind(127.0.0.1:35729)"`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// libuv's symbolic name of the error, e.g. `EADDRINUSE`.
    public var name: String { String(cString: uv_err_name(code)) }
    /// libuv's human-readable message, e.g. `address already in use`.
    public var message: String { String(cString: uv_strerror(code)) }

    public var description: String { "\(operation) failed: \(name) (\(message))" }

    public var isAddressInUse: Bool { code == UV_EADDRINUSE.rawValue }
    public var isEndOfFile: Bool { code == UV_EOF.rawValue }
    public var isCancelled: Bool { code == UV_ECANCELED.rawValue }
    /// `EACCES`: permission denied (a file the broker may not read).
    public var isPermissionDenied: Bool { code == UV_EACCES.rawValue }
    /// `ENOSPC`: no space left; from inotify, the user's watch limit is reached.
    public var isNoSpace: Bool { code == UV_ENOSPC.rawValue }

    /// Throws when `status` is a libuv error; returns it otherwise.
    @discardableResult
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(UVError) -> Int32 {
        if status < 0 { throw UVError(code: status, operation: operation()) }
        return status
    }
}
