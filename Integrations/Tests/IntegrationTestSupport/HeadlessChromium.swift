import Foundation

/// An error of the integration tests' browser harness; says what was awaited.
public struct BrowserHarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One headless Chromium (Debian's `chromium`, or `RELOAD_BROKER_CHROMIUM`) showing one URL, on a
/// fresh profile; ``stop()`` ends it (and its helpers, which leave with it) and removes the profile.
///
/// The tests need no DevTools connection: the app under test counts the requests the page makes.
public final class HeadlessChromium: @unchecked Sendable {
    private let process = Process()
    private let profile: URL

    /// Whether `RELOAD_BROKER_SKIP_BROWSER=1` asks to skip the real-browser tests.
    public static var isSkipped: Bool { ProcessInfo.processInfo.environment["RELOAD_BROKER_SKIP_BROWSER"] == "1" }

    public init(url: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["RELOAD_BROKER_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"]
        guard let executable = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw BrowserHarnessError(
                "chromium not found: apt-get install chromium (or RELOAD_BROKER_SKIP_BROWSER=1 skips these tests)")
        }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("reload-broker-integ-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=\(profile.path)", url,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Ends the browser and waits for it; removes the profile. Idempotent.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: profile)
    }

    deinit { stop() }
}
