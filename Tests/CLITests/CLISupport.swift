import Foundation
import Synchronization
import TestSupport

/// The built `reload-broker` binary, next to this test bundle in the build folder.
let brokerBinary: String = {
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
final class TemporaryFolder: Sendable {
    let path: String

    init() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func url(_ relative: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(relative) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A child process with its output collected; lines can be awaited (bounded by a timeout).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let state = Mutex(Collected())
    private let changed = NSCondition()

    struct Collected {
        var stdout = ""
        var stderr = ""
    }

    init(_ arguments: [String], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: brokerBinary)
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

    var stdout: String { state.withLock { $0.stdout } }
    var stderr: String { state.withLock { $0.stderr } }

    /// Waits until standard output contains `text`; returns the output, or throws after `timeout` seconds.
    @discardableResult
    func waitForOutput(containing text: String, timeout: TimeInterval = 30) throws -> String {
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
    func waitForError(containing text: String, timeout: TimeInterval = 30) throws -> String {
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
    func waitForExit(timeout: TimeInterval = 30) throws -> Int32 {
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
        // Let the pipes deliver what is left.
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
        append(output.fileHandleForReading.readDataToEndOfFile(), toError: false)
        append(errors.fileHandleForReading.readDataToEndOfFile(), toError: true)
        return process.terminationStatus
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    deinit {
        guard process.isRunning else { return }
        process.terminate()
        if (try? waitForExit(timeout: 5)) == nil {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Starts `reload-broker serve` on a free port with the given arguments and returns it with its port.
func startServe(_ arguments: [String], directory: String? = nil) throws -> (ChildProcess, Int) {
    let child = try ChildProcess(["serve", "--port", "0"] + arguments, directory: directory)
    let output = try child.waitForOutput(containing: "reload-broker: watching")
    guard let range = output.firstRange(of: "http://127.0.0.1:"),
        let port = Int(output[range.upperBound...].prefix { $0.isNumber })
    else {
        throw TestClientError(description: "no URL in \(output)")
    }
    return (child, port)
}

/// Runs the binary to completion and returns its exit status and output.
func runBroker(_ arguments: [String], timeout: TimeInterval = 30) throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ChildProcess(arguments)
    let status = try child.waitForExit(timeout: timeout)
    return (status, child.stdout, child.stderr)
}
