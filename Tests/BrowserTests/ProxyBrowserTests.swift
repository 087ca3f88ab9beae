#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReloadBroker
import Testing
import TestSupport

/// `reload-broker proxy --exec … --watch …` in front of a Python app, with headless Chromium
/// showing the app's page. The page reports (beacons) to a collector of the test's own, which
/// stays up while the app restarts; the browser's own view of every page load comes from the
/// DevTools protocol.
@Suite(
    "Headless Chromium through reload-broker proxy --exec", .serialized,
    .enabled(if: !skipsBrowserTests, "RELOAD_BROKER_SKIP_BROWSER=1 skips the real-browser tests"))
struct ProxyBrowserTests {
    /// A change in the watched folder restarts the app and reloads the page at once; its request
    /// waits in the proxy for the new app, so the page reloads exactly once, straight into the new
    /// app: the browser loads no waiting page, no error page and not the old app in between. A second
    /// change gives exactly one more load, so the page had settled.
    @Test func aChangeReloadsThePageOnceStraightIntoTheNewApp() throws {
        let collector = TestSite(pages: [:])
        let beacons = try startBroker(collector)
        defer { beacons.stop() }
        let state = try TemporaryFolder()
        let watched = try TemporaryFolder()
        let appPort = try freePort()
        let (proxy, port) = try startProxy([
            "--upstream", "http://127.0.0.1:\(appPort)",
            "--exec", "python3 '\(pageApp)' \(appPort) '\(state.path)' \(beacons.port)",
            "--watch", watched.path, "--grace-period", "2000",
        ])
        defer { stop(proxy, appState: state) }
        try proxy.waitForOutput(containing: "generation 1")
        // A start broadcasts nothing (pages that come meanwhile wait for the app): epoch 0.

        let browser = try Chromium(url: "http://127.0.0.1:\(port)/")
        defer { browser.stop() }
        try withDiagnostics(browser) {
            let first = try collector.waitSettled("/", load: 1)
            #expect(first["title"] == "app generation 1")
            #expect(first["epoch"] == "0")
            try waitForHealth(port, "the page's socket") { $0.clients == 1 }
            let devtools = try DevToolsPage(browser)
            let firstApp = try #require(appProcess(state, generation: 1))

            try watched.write("app.txt", "changed")
            let second = try collector.waitSettled("/", load: 2)
            #expect(second["title"] == "app generation 2")
            #expect(second["epoch"] == "1")  // one broadcast since load 1: the one as the restart began
            #expect(waitUntilGroupGone(firstApp.pgid), "the first app is still running")
            // What the browser loaded since the change: the new app's page and nothing else.
            let (loads, title) = try devtools.documents()
            #expect(loads == [.init(url: "http://127.0.0.1:\(port)/", status: 200)])
            #expect(title == "app generation 2")
            #expect(pagesServed(state) == [1, 2])
            #expect(collector.events { $0.kind == "loaded" }.map(\.load) == [1, 2])

            // Settled: the next change gives exactly one more load, and no broadcast came between.
            try watched.write("app.txt", "changed again")
            let third = try collector.waitSettled("/", load: 3)
            #expect(third["title"] == "app generation 3")
            #expect(third["epoch"] == "2")
            let (all, _) = try devtools.documents()
            #expect(all.map(\.description) == ["200 http://127.0.0.1:\(port)/", "200 http://127.0.0.1:\(port)/"])
            #expect(pagesServed(state) == [1, 2, 3])
            #expect(collector.events { $0.kind == "loaded" }.map(\.load) == [1, 2, 3])
        }
    }

    /// An app that crashes at start: the browser shows its error on the waiting page; a save that
    /// crashes it differently shows the new error without a manual reload; a save that fixes it
    /// turns the page into the app with exactly one navigation.
    @Test func theAppsErrorShowsInThePageAndAFixTurnsItIntoTheApp() throws {
        let source = try TemporaryFolder()
        try source.write("app.py", ErrorPageApps.broken(marker: "FIRST-ERROR-41"))
        let appPort = try freePort()
        let (proxy, port) = try startProxy([
            "--upstream", "http://127.0.0.1:\(appPort)", "--exec", "exec python3 '\(source.path)/app.py' \(appPort)",
            "--watch", source.path, "--grace-period", "1000",
        ])
        defer {
            proxy.signal(SIGTERM)
            _ = try? proxy.waitForExit(timeout: 10)
        }
        try proxy.waitForError(containing: "the app exited with status 1", timeout: 15)
        let url = "http://127.0.0.1:\(port)/"
        let browser = try Chromium(url: url)
        defer { browser.stop() }
        try withDiagnostics(browser) {
            try waitForHealth(port, "the waiting page's socket") { $0.clients == 1 }
            let devtools = try DevToolsPage(browser)
            // The socket can be up before the waiting page's body is parsed: wait for the text in the page.
            #expect(try awaitInPage(devtools, Self.textAppears("FIRST-ERROR-41")) == url)
            let shown = try devtools.evaluate("document.body.innerText") as? String ?? ""
            #expect(shown.contains("FIRST-ERROR-41 <b>not defined</b> & more"))  // escaped: shown as text
            #expect(shown.contains("The app exited with status 1."))
            #expect(try devtools.evaluate("document.querySelectorAll('#reload-broker-output b').length") as? Int == 0)

            // Saved, still broken: the new run's error replaces the old one (the page's live view
            // rewrites it in place).
            try source.write("app.py", ErrorPageApps.broken(marker: "SECOND-ERROR-42"))
            #expect(try awaitInPage(devtools, Self.textAppears("SECOND-ERROR-42")) == url)
            let text = try devtools.evaluate("document.body.innerText") as? String ?? ""
            #expect(!text.contains("FIRST-ERROR-41"))
            let before = try devtools.documents().loads.count

            // Fixed: one navigation, straight into the app.
            try source.write("app.py", ErrorPageApps.fixed(title: "FIXED-APP"))
            #expect(try awaitInPage(devtools, Self.titleIs("FIXED-APP")) == url)
            try waitForHealth(port, "the app page's socket") { $0.clients == 1 }
            let (loads, title) = try devtools.documents()
            #expect(Array(loads.dropFirst(before)) == [.init(url: url, status: 200)])
            #expect(title == "FIXED-APP")
        }
    }

    /// A promise resolving to the page's URL once its text contains `text` (a DOM mutation).
    private static func textAppears(_ text: String) -> String {
        whenTrue(#"document.body && document.body.innerText.includes("\#(text)")"#)
    }

    /// A promise resolving to the page's URL once its title is `title`.
    private static func titleIs(_ title: String) -> String {
        whenTrue(#"document.title === "\#(title)""#)
    }

    private static func whenTrue(_ condition: String) -> String {
        """
        new Promise(resolve => {
          const done = () => (\(condition)) && (resolve(location.href), true);
          if (!done()) new MutationObserver(done).observe(document, {subtree: true, childList: true, characterData: true});
        })
        """
    }
}

/// Awaits a promise in the page; a navigation destroys it (the call fails), so it is made again in
/// the new page (bounded: a few navigations, each call bounded by its timeout).
private func awaitInPage(_ devtools: DevToolsPage, _ promise: String) throws -> String? {
    var lastError: (any Error)?
    for _ in 0..<4 {
        do {
            return try devtools.evaluateAwaitingPromise(promise) as? String
        } catch {
            lastError = error
        }
    }
    throw lastError ?? BrowserTestError(description: "no answer")
}

// MARK: Helpers

/// The app the proxy runs (Tests/BrowserTests/apps/page_app.py).
private let pageApp = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("apps/page_app.py").path

/// (pid, pgid) of the app process of `generation`, once it has written them.
private func appProcess(_ state: TemporaryFolder, generation: Int) -> (pid: Int32, pgid: Int32)? {
    guard let text = try? String(contentsOfFile: state.path + "/pid-\(generation)", encoding: .utf8) else { return nil }
    let parts = text.split(separator: " ").compactMap { Int32($0) }
    return parts.count == 2 ? (parts[0], parts[1]) : nil
}

/// The generation of every `GET /` the app answered, in order.
private func pagesServed(_ state: TemporaryFolder) -> [Int] {
    let text = (try? String(contentsOfFile: state.path + "/pages", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { Int($0) }
}

/// What the broker's `/__reload/health` says.
private struct Health {
    var epoch: Int
    var clients: Int
}

/// Waits (bounded: ~10 s) until the broker's health satisfies `condition`.
private func waitForHealth(_ port: Int, _ what: String, _ condition: (Health) -> Bool) throws {
    var last = ""
    let reached = try eventually {
        last = try httpRequest(port: port, path: "/__reload/health").text
        guard let epoch = jsonField("epoch", in: last).flatMap({ Int($0) }),
            let clients = jsonField("clients", in: last).flatMap({ Int($0) })
        else { return false }
        return condition(Health(epoch: epoch, clients: clients))
    }
    guard reached else { throw BrowserTestError(description: "timed out waiting for \(what); health: \(last)") }
}

/// Stops the proxy (SIGTERM, SIGKILL if it does not exit) and checks that no app process it
/// started is left.
private func stop(_ proxy: ChildProcess, appState state: TemporaryFolder) {
    proxy.signal(SIGTERM)
    if (try? proxy.waitForExit(timeout: 10)) == nil {
        proxy.signal(SIGKILL)
        _ = try? proxy.waitForExit(timeout: 10)
    }
    var generation = 1
    while let app = appProcess(state, generation: generation) {
        #expect(waitUntilGroupGone(app.pgid), "the app of generation \(generation) is still running")
        generation += 1
    }
}
