import Foundation
import Testing
import TestSupport

/// The guard's hidden subcommand.
private let execGuardSubcommand = "__exec-guard"

/// The app of these tests (Tests/CLITests/upstreams/slowstop.py): slow to stop, or deaf to SIGTERM.
let slowStopScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("upstreams/slowstop.py").path

/// `proxy --exec` with an app that does not stop as soon as it gets SIGTERM, run the way many
/// dev commands are (`cd DIR && CMD`): the shell stays between the exec guard and the app, and
/// SIGTERM ends the shell at once, long before the app.
@Suite("reload-broker proxy --exec with an app slow to stop", .serialized)
struct ExecGuardTests {
    struct Session {
        let state: AppState
        let source: TemporaryFolder
        let broker: ChildProcess
        let port: Int
        let appPort: Int

        /// `mode`: seconds the app keeps running (and its port) after SIGTERM, or "ignore".
        init(mode: String, gracePeriod: Int, restartGrace: Int? = nil) throws {
            state = AppState(folder: try TemporaryFolder())
            source = try TemporaryFolder()
            appPort = try freePort()
            // The trailing command keeps any shell from exec'ing python in its place.
            let command = "cd \(state.path) && python3 \(slowStopScript) \(appPort) \(state.path) \(mode); exit $?"
            (broker, port) = try startProxy([
                "--upstream", "http://127.0.0.1:\(appPort)", "--exec", command,
                "--grace-period", String(gracePeriod), "--watch", source.path,
            ] + (restartGrace.map { ["--restart-grace", String($0)] } ?? []))
            try broker.waitForOutput(containing: "listening on \(appPort) (generation 1)")
        }
    }

    @Test func aChangeStartsTheNewAppOnlyOnceTheOldOneHasStopped() throws {
        // The old app holds the port 1.5 s after SIGTERM, well within the grace period, and the
        // restarts are told to give it that long.
        let session = try Session(mode: "1.5", gracePeriod: 10_000, restartGrace: 10_000)
        let page = try TestWebSocket(port: session.port)
        #expect(jsonField("epoch", in: try page.nextText()) == "0")
        let first = try #require(session.state.process(generation: 1))
        try session.source.write("app.txt", "changed")
        let message = try page.nextText(timeout: .seconds(20))
        #expect(jsonField("type", in: message) == "reload")
        #expect(jsonField("epoch", in: message) == "1")
        // Asked for while the old app still stops: held until the new one listens.
        let reloaded = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(reloaded.text.contains("generation 2"))
        // The new app started after the old one was gone, and could take the port. (Its line may
        // still be in the pipe when the page already answers: wait for it.)
        let output = try session.broker.waitForOutput(containing: "listening on \(session.appPort) (generation 2)")
        let stopped = try #require(output.range(of: "app: stopped (generation 1)"))
        let started = try #require(output.range(of: "listening on \(session.appPort) (generation 2)"))
        #expect(stopped.upperBound <= started.lowerBound)
        #expect(!session.broker.stderr.contains("Address already in use"))
        #expect(!groupAlive(first.pgid))
    }

    @Test func aRestartDoesNotWaitForASlowGracefulStop() throws {
        // By default a change gives the old app 5 ms after SIGTERM, then SIGKILL: the 1.5 s it
        // would take to stop by itself never happen, yet the new app starts only once it is gone.
        let session = try Session(mode: "1.5", gracePeriod: 10_000)
        let page = try TestWebSocket(port: session.port)
        _ = try page.nextText()
        let first = try #require(session.state.process(generation: 1))
        try session.source.write("app.txt", "changed")
        #expect(jsonField("type", in: try page.nextText(timeout: .seconds(20))) == "reload")
        let reloaded = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(reloaded.text.contains("generation 2"))
        let output = try session.broker.waitForOutput(containing: "listening on \(session.appPort) (generation 2)")
        #expect(!output.contains("app: stopped (generation 1)"), "the old app was allowed its slow graceful stop")
        #expect(!session.broker.stderr.contains("Address already in use"))
        #expect(!groupAlive(first.pgid))
    }

    @Test func theNextAppsGuardStartsAtOnceAndWaitsAtItsGateWhileTheOldAppStops() throws {
        let session = try Session(mode: "1.5", gracePeriod: 10_000, restartGrace: 10_000)
        let page = try TestWebSocket(port: session.port)
        _ = try page.nextText()
        let broker = session.broker.process.processIdentifier
        #expect(guardsAtTheirGate(childrenOf: broker).isEmpty)
        try session.source.write("app.txt", "changed")
        #expect(jsonField("type", in: try page.nextText(timeout: .seconds(20))) == "reload")
        // The old app takes 1.5 s to stop; the next run's guard is there already, with no app.
        #expect(eventually(timeout: .seconds(5)) { guardsAtTheirGate(childrenOf: broker).count == 1 })
        let waiting = try #require(guardsAtTheirGate(childrenOf: broker).first)
        #expect(session.state.process(generation: 2) == nil)
        // Once the old app is gone, that guard starts the new one (in its group), and the port was free.
        let output = try session.broker.waitForOutput(containing: "listening on \(session.appPort) (generation 2)")
        let stopped = try #require(output.range(of: "app: stopped (generation 1)"))
        let started = try #require(output.range(of: "listening on \(session.appPort) (generation 2)"))
        #expect(stopped.upperBound <= started.lowerBound)
        #expect(try #require(session.state.process(generation: 2)).pgid == waiting)
        #expect(!session.broker.stderr.contains("Address already in use"))
    }

    @Test func stoppingTheBrokerWhileTheNextGuardWaitsStartsNothing() throws {
        let session = try Session(mode: "1.5", gracePeriod: 10_000, restartGrace: 10_000)
        let page = try TestWebSocket(port: session.port)
        _ = try page.nextText()
        let broker = session.broker.process.processIdentifier
        let first = try #require(session.state.process(generation: 1))
        try session.source.write("app.txt", "changed")
        #expect(jsonField("type", in: try page.nextText(timeout: .seconds(20))) == "reload")
        #expect(eventually(timeout: .seconds(5)) { guardsAtTheirGate(childrenOf: broker).count == 1 })
        let waiting = try #require(guardsAtTheirGate(childrenOf: broker).first)
        session.broker.signal(SIGTERM)
        #expect(try session.broker.waitForExit(timeout: 20) == 0)
        #expect(waitUntilProcessGone(waiting, timeout: 3), "the waiting guard (pid \(waiting)) outlived the broker")
        #expect(waitUntilGroupGone(first.pgid))
        #expect(session.state.process(generation: 2) == nil, "a new app started while the broker stopped")
    }

    @Test func theGuardRefusesToRunInsideAGroupItDoesNotLead() throws {
        // In a fresh session led by sh (so a guard that did not refuse would end sh's group, not
        // the test runner's): the guard is a plain member there.
        let folder = try TemporaryFolder()
        let marker = folder.path + "/ran"
        let script = "\"$0\" \(execGuardSubcommand) --grace-period 10 'touch \(marker)'; echo \"status $?\""
        let shell = try ChildProcess(["-w", "/bin/sh", "-c", script, brokerBinary], executable: "/usr/bin/setsid")
        #expect(try shell.waitForExit(timeout: 20) == 0)
        #expect(shell.stdout.contains("status 64"))
        #expect(shell.stderr.contains("must lead its own process group"))
        #expect(!FileManager.default.fileExists(atPath: marker), "the guard ran its command")
    }

    @Test func theGatedGuardWaitsForItsByteAlsoThroughTheParser() throws {
        // Options in another order than the broker writes them: ArgumentParser reads them.
        let opened = "printf 1 | setsid -w \"$0\" \(execGuardSubcommand) --grace-period 10 --wait-for-start 'echo ran'"
        let run = try ChildProcess(["-c", opened, brokerBinary], executable: "/bin/sh")
        _ = try run.waitForOutput(containing: "ran", timeout: 20)
        #expect(try run.waitForExit(timeout: 20) == 0)
        let folder = try TemporaryFolder()
        let marker = folder.path + "/ran"
        let closed = "setsid -w \"$0\" \(execGuardSubcommand) --grace-period 10 --wait-for-start 'touch \(marker)' </dev/null"
        let refused = try ChildProcess(["-c", closed, brokerBinary], executable: "/bin/sh")
        #expect(try refused.waitForExit(timeout: 20) == 0)
        #expect(!FileManager.default.fileExists(atPath: marker), "the guard ran its command without the byte")
    }

    @Test func sigtermEndsAnAppThatIgnoresItAfterTheGracePeriod() throws {
        let session = try Session(mode: "ignore", gracePeriod: 500)
        let app = try #require(session.state.process(generation: 1))
        session.broker.signal(SIGTERM)
        // (An app left behind holds the broker's output open: then it never seems to exit.)
        let status = try? session.broker.waitForExit(timeout: 15)
        let gone = waitUntilProcessGone(app.pid, timeout: 3)
        if !gone { kill(app.pid, SIGKILL) }
        #expect(status == 0)
        #expect(gone, "the app (pid \(app.pid)) outlived the broker")
        #expect(waitUntilGroupGone(app.pgid))
    }

    @Test func sigkillOfTheBrokerEndsAnAppThatIgnoresSigterm() throws {
        let session = try Session(mode: "ignore", gracePeriod: 500)
        let app = try #require(session.state.process(generation: 1))
        session.broker.signal(SIGKILL)
        // The guard gets SIGTERM from the kernel (parent death), then applies the grace period.
        let exited = (try? session.broker.waitForExit(timeout: 15)) != nil
        let gone = waitUntilProcessGone(app.pid, timeout: 3)
        if !gone { kill(app.pid, SIGKILL) }
        #expect(exited)
        #expect(gone, "the app (pid \(app.pid)) outlived the broker")
        #expect(waitUntilGroupGone(app.pgid))
    }
}

/// Waits (bounded) until no process has this pid (a zombie still counts); false at the deadline.
func waitUntilProcessGone(_ pid: Int32, timeout: TimeInterval) -> Bool {
    // Not our child: nothing to await, so poll at a short interval, bounded.
    eventually(timeout: .seconds(timeout), interval: .milliseconds(20)) { !(kill(pid, 0) == 0 || errno == EPERM) }
}

/// The children of `parent` that are exec guards waiting at their start gate (`/proc`).
func guardsAtTheirGate(childrenOf parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        // After "pid (comm)": state, then the parent's pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, Int32(fields[1]) == parent,
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return false }
        let words = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return words.contains("__exec-guard") && words.contains("--wait-for-start")
    }
}
