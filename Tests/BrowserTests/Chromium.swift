#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An error of the browser tests; says what was awaited and what was seen.
struct BrowserTestError: Error, CustomStringConvertible {
    let description: String
}

/// Whether `RELOAD_BROKER_SKIP_BROWSER=1` asks to skip the real-browser tests.
let skipsBrowserTests = ProcessInfo.processInfo.environment["RELOAD_BROKER_SKIP_BROWSER"] == "1"

/// One headless Chromium process (with its helpers) in a process group of its own, on a
/// fresh profile. ``stop()`` kills the whole group and removes the profile.
final class Chromium {
    let pid: pid_t
    let profile: URL
    private var stopped = false

    /// `RELOAD_BROKER_CHROMIUM`, else Debian's `chromium`.
    static func executable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["RELOAD_BROKER_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"]
        for case let path? in candidates where access(path, X_OK) == 0 { return path }
        throw BrowserTestError(description: """
            chromium not found (looked for /usr/bin/chromium, /usr/bin/chromium-browser, $RELOAD_BROKER_CHROMIUM). \
            Install it: apt-get install chromium (or set RELOAD_BROKER_SKIP_BROWSER=1 to skip the browser tests).
            """)
    }

    /// Opens `url` in a new headless browser. Headless Chromium takes a single URL; pages open
    /// more tabs with `window.open` (popups allowed), so tabs share one browser (and SharedWorker).
    init(url: String) throws {
        let executable = try Self.executable()
        profile = FileManager.default.temporaryDirectory
            .appendingPathComponent("reload-broker-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let arguments = [
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-popup-blocking", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
            "--user-data-dir=\(profile.path)", "--remote-debugging-port=0", url,
        ]
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group (pgid = its pid), so stop() reaches the renderers and zygotes too.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let logPath = profile.appendingPathComponent("chromium.log").path
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            try? FileManager.default.removeItem(at: profile)
            throw BrowserTestError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// The end of Chromium's own output (for failure messages).
    var logTail: String {
        let text = (try? String(contentsOf: profile.appendingPathComponent("chromium.log"), encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").filter { !$0.contains("dbus") }
        return lines.suffix(15).joined(separator: "\n")
    }

    /// Kills the process group, reaps the browser process and removes the profile. Idempotent.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        try? FileManager.default.removeItem(at: profile)
    }

    deinit { stop() }
}

/// One GET on a new loopback connection; returns the status line (tests only).
func httpGet(port: Int, path: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BrowserTestError(description: "socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw BrowserTestError(description: "connect to port \(port) failed: errno \(errno)") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
    let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    guard sent == request.count else { throw BrowserTestError(description: "send failed: errno \(errno)") }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 10_000) > 0 else { throw BrowserTestError(description: "no answer to GET \(path)") }
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        response += buffer[..<count]
    }
    return String(decoding: response, as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? ""
}
