import Foundation
import TestSupport

/// The test app (Tests/CLITests/upstreams/app.py).
let appScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("upstreams/app.py").path

/// The Python test app, started directly by the test (not by the broker).
final class PythonApp: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let output = Pipe()
    private let text = Locked("")
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

    /// Waits (on the app's output, no polling) until `condition` holds for everything it printed.
    func waitForOutput(timeout: TimeInterval = 15, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while !condition(text.withLock { $0 }) {
            guard changed.wait(until: deadline) else { return condition(text.withLock { $0 }) }
        }
        return true
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

/// Set by scripts/sanitizers.sh ("address" or "thread"): memory figures of instrumented processes
/// are not comparable then.
let sanitizerInUse = ProcessInfo.processInfo.environment["RELOAD_BROKER_SANITIZER"]

/// A running test app with `reload-broker proxy` in front of it.
struct ProxySession {
    let app: PythonApp
    let broker: ChildProcess
    let port: Int

    init(_ extra: [String] = []) throws {
        app = try PythonApp(port: try freePort())
        (broker, port) = try startProxy(["--upstream", "http://127.0.0.1:\(app.port)"] + extra)
    }
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
