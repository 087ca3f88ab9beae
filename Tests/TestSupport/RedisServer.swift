#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real `redis-server` (Debian's) for the cluster tests: loopback only, a free port, its own
/// temporary folder, no persistence (a restart loses the stored epoch, the harder case).
/// ``start()`` waits for "Ready to accept connections"; ``kill()`` is SIGKILL; ``restart()``
/// comes back on the same port.
public final class RedisServer: @unchecked Sendable {
    /// Where the binary is, or nil (the cluster tests then skip, saying so).
    public static let binary: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let missing = "redis-server is not installed (scripts/ensure-deps.sh --redis installs Debian's redis-server)"

    public let port: Int
    public let folder: TemporaryFolder
    private var process: ChildProcess?

    public init() throws {
        guard Self.binary != nil else { throw TestClientError(description: Self.missing) }
        port = try freePort()
        folder = try TemporaryFolder()
        try start()
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    public func start(extra: [String] = []) throws {
        let arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", folder.path, "--daemonize", "no", "--protected-mode", "yes",
        ] + extra
        let child = try ChildProcess(arguments, directory: folder.path, executable: Self.binary!)
        process = child
        try child.waitForOutput(containing: "Ready to accept connections", timeout: 20)
    }

    /// SIGKILL, as a crash: the brokers see their connections reset.
    public func kill() throws {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = try process.waitForExit(timeout: 10)
        self.process = nil
    }

    public func restart() throws {
        try kill()
        try start()
    }

    deinit { try? kill() }
}
