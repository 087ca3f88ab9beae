import Foundation
import Testing
import TestSupport

@Suite("Faults the broker recovers from", .serialized)
struct FaultTests {
    @Test func aWatchedFolderDeletedAndRecreatedIsWatchedAgain() throws {
        let site = try TemporaryFolder()
        try site.write("index.html", "<p>site</p>")
        try site.write("src/a.txt", "a")
        let (broker, port) = try startServe(["--root", site.path, "--watch", site.path + "/src"])
        _ = broker
        let page = try TestWebSocket(port: port)
        _ = try page.nextText()
        try FileManager.default.removeItem(atPath: site.path + "/src")
        #expect(jsonField("type", in: try page.nextText()) == "reload")  // the deletion is a change
        try site.write("src/b.txt", "b")
        #expect(jsonField("type", in: try page.nextText()) == "reload")  // picked up again (rescue within ~1 s)
        try site.write("src/b.txt", "b2")
        let message = try page.nextText()
        #expect(jsonField("type", in: message) == "reload")  // and watched recursively again
    }

    @Test func runningOutOfDescriptorsRefusesCleanlyAndRecovers() throws {
        let site = try TemporaryFolder()
        // 64 descriptors: the broker's own few, then clients until accept fails with EMFILE.
        let broker = try ChildProcess(
            ["--nofile=64:64", "--", brokerBinary, "serve", "--port", "0", "--root", site.path, "--no-watch"],
            executable: "/usr/bin/prlimit")
        let output = try broker.waitForOutput(containing: "reload-broker: watching")
        guard let range = output.firstRange(of: "http://127.0.0.1:"),
            let port = Int(output[range.upperBound...].prefix { $0.isNumber })
        else {
            Issue.record("no URL in \(output)")
            return
        }
        // Flood: far more connections than descriptors. Some are accepted and closed at once (libuv
        // sheds them through its reserved descriptor); the broker stays up and does not spin.
        var flood: [TestSocket] = []
        for _ in 0..<150 {
            if let socket = try? TestSocket(port: port) { flood.append(socket) }
        }
        let before = cpuTicks(broker.process.processIdentifier)
        var pause = timespec(tv_sec: 1, tv_nsec: 0)
        nanosleep(&pause, nil)  // measuring idle CPU over a fixed second is the point here
        let spent = cpuTicks(broker.process.processIdentifier) - before
        #expect(spent < 50, "the broker used \(spent) ticks of CPU in 1 s while out of descriptors")
        for socket in flood { socket.close() }
        // Recovered: a page can connect and is greeted. Until the broker has read the flood's
        // EOFs and closed those descriptors, new connections are still shed, so retry, bounded in
        // count and time (a slow machine or a sanitizer build takes longer to get there).
        let greeted = eventually(timeout: .seconds(20), interval: .milliseconds(50)) {
            guard let page = try? TestWebSocket(port: port), let hello = try? page.nextText(timeout: .seconds(2)) else {
                return false
            }
            return jsonField("type", in: hello) == "hello"
        }
        #expect(greeted)
        #expect(try httpRequest(port: port, path: "/__reload/health").status == 200)
    }

    /// utime + stime of a process, in clock ticks (from /proc/PID/stat).
    private func cpuTicks(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13 else { return 0 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
}
