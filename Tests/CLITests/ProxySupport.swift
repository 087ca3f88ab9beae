import Foundation
import Synchronization
import TestSupport

/// The test app (Tests/CLITests/upstreams/app.py).
let appScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("upstreams/app.py").path

/// A loopback port nothing listens on right now.
func freePort() throws -> Int {
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

/// The Python test app, started directly by the test (not by the broker).
final class PythonApp: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let output = Pipe()
    private let text = Mutex("")
    private let changed = NSCondition()

    init(port: Int, state: String? = nil) throws {
        self.port = port
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", appScript, String(port)] + (state.map { [$0] } ?? [])
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            self.changed.lock()
            self.changed.broadcast()
            self.changed.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        changed.lock()
        defer { changed.unlock() }
        while !text.withLock({ $0.contains("app: listening") }) {
            guard changed.wait(until: deadline) else { throw TestClientError(description: "the test app did not start") }
        }
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        output.fileHandleForReading.readabilityHandler = nil
        stop()
    }
}

/// Starts `reload-broker proxy --port 0` with the given arguments; returns it with its port.
func startProxy(_ arguments: [String]) throws -> (ChildProcess, Int) {
    let child = try ChildProcess(["proxy", "--port", "0"] + arguments)
    let output = try child.waitForOutput(containing: "reload-broker: watching")
    guard let range = output.firstRange(of: " at http://127.0.0.1:"),
        let port = Int(output[range.upperBound...].prefix { $0.isNumber })
    else {
        throw TestClientError(description: "no URL in \(output)")
    }
    return (child, port)
}

/// A page request as a browser makes it.
let pageHeaders = [("Accept", "text/html,application/xhtml+xml"), ("Sec-Fetch-Dest", "document")]

/// Resident memory of a process, and its peak, in KiB (from /proc/PID/status).
func memory(of pid: Int32) -> (rss: Int, peak: Int) {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Int {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }
    return (field("VmRSS"), field("VmHWM"))
}

/// Whether any process of the group is alive.
func groupAlive(_ pgid: Int32) -> Bool {
    kill(-pgid, 0) == 0 || errno == EPERM
}

/// Waits (bounded) until the process group is gone; false when it is still there at the deadline.
func waitUntilGroupGone(_ pgid: Int32, timeout: TimeInterval = 10) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while groupAlive(pgid) {
        // Nothing to await from outside the group: poll at a short interval, bounded.
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// The app's state folder for `--exec` tests: generation counter and "pid pgid" per start.
struct AppState {
    let folder: TemporaryFolder

    var path: String { folder.path }

    /// (pid, pgid) of the given generation's process, once it has written them.
    func process(generation: Int) -> (pid: Int32, pgid: Int32)? {
        guard let text = try? String(contentsOfFile: path + "/pid-\(generation)", encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ").compactMap { Int32($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}

/// Reads the whole body of one response on `socket`, without keeping it: returns the byte count.
/// `onProgress` is called after each read with the bytes so far.
func drainResponse(_ socket: TestSocket, expected: Int, onProgress: (Int) -> Void = { _ in }) throws -> Int {
    var head: [UInt8] = []
    var bodyBytes = 0
    while bodyBytes < expected {
        let chunk = try socket.receive(timeout: .seconds(30), max: 1 << 20)
        if chunk.isEmpty { break }
        if head.isEmpty || !head.contains(sequence: [13, 10, 13, 10]) {
            head += chunk
            if let end = head.firstRange(of: [13, 10, 13, 10]) {
                bodyBytes += head.count - end.upperBound
            }
        } else {
            bodyBytes += chunk.count
        }
        onProgress(bodyBytes)
    }
    return bodyBytes
}

extension Array where Element == UInt8 {
    func contains(sequence: [UInt8]) -> Bool { firstRange(of: sequence) != nil }
}
