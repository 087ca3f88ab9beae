#if canImport(Glibc)
import Glibc
#endif
import Foundation

// Child processes for the suites that run the built binary (CLI and browser tests).

/// The built `reload-broker` binary, next to this test bundle in the build folder.
public let brokerBinary: String = {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    if directory.lastPathComponent == "debug" || directory.lastPathComponent == "release" {
        return directory.appendingPathComponent("reload-broker").path
    }
    // Inside an .xctest bundle folder on some layouts.
    directory = directory.deletingLastPathComponent()
    return directory.appendingPathComponent("reload-broker").path
}()

/// A temporary folder removed at deinit.
public final class TemporaryFolder: Sendable {
    public let path: String

    public init() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    public func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    public func url(_ relative: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(relative) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A child process with its output collected; lines can be awaited (bounded by a timeout).
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let state = Locked(Collected())
    private let changed = NSCondition()

    struct Collected {
        var stdout = ""
        var stderr = ""
    }

    /// Runs the broker binary with `arguments` (or `executable`, e.g. a wrapper such as prlimit).
    public init(_ arguments: [String], directory: String? = nil, executable: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable ?? brokerBinary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.append(data, toError: false)
        }
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.append(data, toError: true)
        }
        try process.run()
    }

    private func append(_ data: Data, toError: Bool) {
        guard !data.isEmpty else { return }
        let text = String(decoding: data, as: UTF8.self)
        state.withLock { if toError { $0.stderr += text } else { $0.stdout += text } }
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    public var stdout: String { state.withLock { $0.stdout } }
    public var stderr: String { state.withLock { $0.stderr } }

    /// Waits until standard output contains `text`; returns the output, or throws after `timeout` seconds.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: TimeInterval = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            let current = stdout
            if current.contains(text) { return current }
            guard changed.wait(until: deadline) else {
                throw TestClientError(description: "no \"\(text)\" on stdout within \(timeout) s; stdout: \(current); stderr: \(stderr)")
            }
        }
    }

    /// Waits until standard error contains `text` (bounded); returns it.
    @discardableResult
    public func waitForError(containing text: String, timeout: TimeInterval = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            let current = stderr
            if current.contains(text) { return current }
            guard changed.wait(until: deadline) else {
                throw TestClientError(description: "no \"\(text)\" on stderr within \(timeout) s; stderr: \(current)")
            }
        }
    }

    /// Waits for the process to exit (bounded) and returns its status.
    public func waitForExit(timeout: TimeInterval = 30) throws -> Int32 {
        let done = DispatchSemaphore(value: 0)
        let process = self.process
        DispatchQueue.global().async {
            process.waitUntilExit()
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success else {
            process.interrupt()
            throw TestClientError(description: "the process did not exit within \(timeout) s")
        }
        // Let the pipes deliver what is left. Bounded: a process the child left behind (a bug the
        // test is there to catch) may hold them open for good.
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
        let rest = Locked<(Data, Data)?>(nil)
        let read = DispatchSemaphore(value: 0)
        let (out, err) = (output.fileHandleForReading, errors.fileHandleForReading)
        DispatchQueue.global().async {
            let collected = (out.readDataToEndOfFile(), err.readDataToEndOfFile())
            rest.withLock { $0 = collected }
            read.signal()
        }
        if read.wait(timeout: .now() + 5) == .success, let (outData, errData) = rest.withLock({ $0 }) {
            append(outData, toError: false)
            append(errData, toError: true)
        }
        return process.terminationStatus
    }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    deinit {
        guard process.isRunning else { return }
        process.terminate()
        if (try? waitForExit(timeout: 5)) == nil {
            // Bounded too: Foundation sees the exit only once the output pipes close, which a
            // left-behind grandchild can prevent; better a leaked process than a hung suite.
            kill(process.processIdentifier, SIGKILL)
            _ = try? waitForExit(timeout: 5)
        }
    }
}

/// A loopback port nothing listens on right now.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let status = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
        }
    }
    guard status == 0 else { throw TestClientError(description: "no free port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Starts `reload-broker proxy --port 0` with the given arguments; returns it with its port.
public func startProxy(_ arguments: [String]) throws -> (ChildProcess, Int) {
    let child = try ChildProcess(["proxy", "--port", "0"] + arguments)
    let output = try child.waitForOutput(containing: "reload-broker: watching")
    guard let range = output.firstRange(of: " at http://127.0.0.1:"),
        let port = Int(output[range.upperBound...].prefix { $0.isNumber })
    else {
        throw TestClientError(description: "no URL in \(output)")
    }
    return (child, port)
}

/// Whether any process of the group is alive.
public func groupAlive(_ pgid: Int32) -> Bool {
    kill(-pgid, 0) == 0 || errno == EPERM
}

/// Waits (bounded) until the process group is gone; false when it is still there at the deadline.
public func waitUntilGroupGone(_ pgid: Int32, timeout: TimeInterval = 10) -> Bool {
    // Nothing to await from outside the group: poll at a short interval, bounded.
    eventually(timeout: .seconds(timeout), interval: .milliseconds(20)) { !groupAlive(pgid) }
}

/// A value behind an `NSLock`, for test code shared between threads. Not `Synchronization.Mutex`:
/// under contention it hands the lock over in non-instrumented code, which ThreadSanitizer
/// reports as races (HARDENING.md, "Sanitizers"); a pthread mutex it understands.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
