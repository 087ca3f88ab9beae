#if canImport(Glibc)
import Glibc
#endif
import Logging
import ReloadBroker
import Testing
import TestSupport

/// Real-browser tests: headless Chromium loads pages through a broker; the pages report
/// (beacons) to the test site, which also counts how often each page was requested.
/// Every wait is bounded and waits for an event, never for time to pass.
@Suite(
    "Headless Chromium", .serialized,
    .enabled(if: !skipsBrowserTests, "RELOAD_BROKER_SKIP_BROWSER=1 skips the real-browser tests"))
struct BrowserTests {
    /// A page served through the broker reloads when triggered: loads 1 → 2, and no more.
    @Test func reloadsOnTrigger() throws {
        let site = TestSite(pages: ["/page": .init()])
        try withBrowser(site, open: "/page") { broker, browser in
            let first = try site.waitSettled("/page", load: 1)
            #expect(first["instance"] == broker.instanceID)
            try waitForClients(broker, 1)
            #expect(site.requests("/page") == 1)

            #expect(broker.reloadAndWait() == 1)
            let second = try site.waitSettled("/page", load: 2)
            #expect(second["epoch"] == "1")
            #expect(site.requests("/page") == 2)
        }
    }

    /// A broker stopped and started again on the same port (a new instance): the page
    /// reconnects, reloads exactly once, then stays; one more trigger gives exactly one more load.
    @Test func reloadsOnceAfterBrokerRestart() throws {
        let site = TestSite(pages: ["/page": .init()])
        let first = try startBroker(site)
        defer { first.stop() }
        let browser = try Chromium(url: "http://127.0.0.1:\(first.port)/page")
        defer { browser.stop() }
        try withDiagnostics(browser) {
            try site.waitSettled("/page", load: 1)
            try waitForClients(first, 1)
            first.stop()

            let second = try startBroker(site, port: first.port)
            defer { second.stop() }
            #expect(second.instanceID != first.instanceID)
            let reloaded = try site.waitSettled("/page", load: 2)
            #expect(reloaded["instance"] == second.instanceID)
            #expect(reloaded["epoch"] == "0")
            try waitForClients(second, 1)
            #expect(site.requests("/page") == 2)

            #expect(second.reloadAndWait() == 1)
            try site.waitSettled("/page", load: 3)
            #expect(site.requests("/page") == 3)
        }
    }

    /// Two tabs of one browser (the second opened by the first with window.open) both reload on
    /// one trigger, each exactly once; they share one socket (the client's SharedWorker hub).
    @Test func reloadsEveryTab() throws {
        let site = TestSite(pages: ["/a": .init(opens: "/b"), "/b": .init()])
        try withBrowser(site, open: "/a") { broker, browser in
            try site.waitSettled("/a", load: 1)
            let b = try site.waitSettled("/b", load: 1)
            #expect(b["sharedWorker"] == "true")
            try waitForClients(broker, 1)  // one socket per browser

            #expect(broker.reloadAndWait() == 1)
            try site.waitSettled("/a", load: 2)
            try site.waitSettled("/b", load: 2)
            #expect(site.requests("/a") == 2)
            #expect(site.requests("/b") == 2)
        }
    }

    /// A stylesheet change restyles the page in place: the new color shows in the same page load
    /// (same random id, same input value), the page is not requested again, the CSS is.
    @Test func swapsStylesheetWithoutReload() throws {
        let site = TestSite(pages: ["/styled": .init()])
        try withBrowser(site, open: "/styled") { broker, browser in
            let loaded = try site.waitSettled("/styled", load: 1)
            let id = try #require(loaded["id"])
            try site.waitForEvent("the initial red") {
                $0.kind == "color" && $0["color"] == "rgb(255, 0, 0)" && $0["id"] == id
            }
            #expect(site.requests("/site.css") == 1)

            site.setColor("rgb(0, 0, 255)")
            #expect(broker.reloadAndWait(path: "/site.css") == 1)
            let blue = try site.waitForEvent("the page turning blue") {
                $0.kind == "color" && $0["color"] == "rgb(0, 0, 255)"
            }
            #expect(blue["id"] == id)
            #expect(blue["state"] == id)
            #expect(blue.load == 1)
            // Still the same page load 400 ms after the css message: no reload was decided.
            try site.waitForEvent("quiet after the css message") {
                $0.kind == "quiet" && $0["id"] == id && $0["color"] == "rgb(0, 0, 255)" && $0.seen >= 2
            }
            #expect(site.requests("/styled") == 1)
            #expect(site.requests("/site.css") == 2)
        }
    }

    /// A trigger fired while the page loads (after its HTML was rendered, before its client
    /// connected) is not lost: the hello carries the newer epoch, the page reloads once, then stays.
    @Test func triggerDuringLoadIsNotLost() throws {
        let site = TestSite(pages: ["/slow": .init(slowScript: true)])
        site.holdNextSlowScript()
        try withBrowser(site, open: "/slow") { broker, browser in
            // The HTML (rendered at epoch 0) is out; its head waits for /slow.js.
            try site.waitForEvent("the browser asking for /slow.js") { $0.kind == "slow.js held" }
            #expect(site.requests("/slow") == 1)
            #expect(broker.reloadAndWait() == 0)  // no client connected yet
            #expect(try httpGet(port: broker.port, path: "/release").contains("200"))

            let first = try site.waitForEvent("load 1 loaded") { $0.page == "/slow" && $0.load == 1 && $0.kind == "loaded" }
            #expect(first["epoch"] == "0")
            // What the client got first: the hello, already at the trigger's epoch.
            let hello = try site.waitForEvent("load 1's first broker message") {
                $0.load == 1 && $0.kind == "message" && $0.seen == 1
            }
            #expect(hello["text"]?.contains(#""type":"hello""#) == true)
            #expect(hello["text"]?.contains(#""epoch":1"#) == true)
            try site.waitForEvent("load 1 deciding to reload") {
                $0.load == 1 && $0.kind == "log" && $0["text"] == "reloading"
            }
            let second = try site.waitSettled("/slow", load: 2)
            #expect(second["epoch"] == "1")
            #expect(site.requests("/slow") == 2)

            // It settled: one more trigger, exactly one more load.
            #expect(broker.reloadAndWait() == 1)
            try site.waitSettled("/slow", load: 3)
            #expect(site.requests("/slow") == 3)
        }
    }

    /// A burst of five triggers reloads each of two tabs once (the page renders after the whole
    /// burst); a follow-up trigger gives exactly one more load of each.
    ///
    /// The burst is back to back, so the result does not depend on timing. The client reloads on
    /// the first message and ignores the rest while it unloads (its latch, covered by the client's
    /// node tests); the new page learns the burst's last epoch from its own HTML.
    @Test func burstReloadsEachTabOnce() throws {
        let site = TestSite(pages: ["/a": .init(opens: "/b"), "/b": .init()])
        try withBrowser(site, open: "/a") { broker, browser in
            try site.waitSettled("/a", load: 1)
            try site.waitSettled("/b", load: 1)
            try waitForClients(broker, 1)

            for _ in 0..<4 { broker.reload() }
            #expect(broker.reloadAndWait() == 1)
            #expect(broker.epoch == 5)
            let a = try site.waitSettled("/a", load: 2)
            let b = try site.waitSettled("/b", load: 2)
            #expect(a["epoch"] == "5")
            #expect(b["epoch"] == "5")
            #expect(site.requests("/a") == 2)
            #expect(site.requests("/b") == 2)

            #expect(broker.reloadAndWait() == 1)
            try site.waitSettled("/a", load: 3)
            try site.waitSettled("/b", load: 3)
            #expect(site.requests("/a") == 3)
            #expect(site.requests("/b") == 3)
        }
    }

    /// "Stay on page" does not leave the tab deaf: the page asks for confirmation before unloading
    /// (a `beforeunload` handler, armed by a click), the user cancels the reload the broker asked
    /// for, the page stays (same load, nothing requested); once the client has re-armed (`STAY`,
    /// 3 s after it asked to reload), the next trigger reloads it.
    ///
    /// Chromium runs the dialog inside `location.reload()` (the page's JavaScript waits for the
    /// answer), so the client's 3 s count from the answer. The re-arm is awaited by probing, not by
    /// sleeping: a stylesheet change is ignored while the tab still waits for its reload to happen,
    /// and swaps the CSS in place once it listens again. Each probe waits for the page's `quiet`
    /// beacon (400 ms after its last message) before the next, so there are about 8 of them.
    @Test func listensAgainAfterStayOnPage() throws {
        let site = TestSite(pages: ["/page": .init(confirmsLeaving: true)])
        try withBrowser(site, open: "/page") { broker, browser in
            let first = try site.waitSettled("/page", load: 1)
            let id = try #require(first["id"])
            try waitForClients(broker, 1)
            let devtools = try DevToolsPage(browser)
            try devtools.enablePageEvents()
            // Chromium shows a beforeunload dialog only to a page the user has interacted with.
            try devtools.click(x: 20, y: 20)
            #expect(try devtools.evaluate("navigator.userActivation.hasBeenActive") as? Bool == true)

            #expect(broker.reloadAndWait() == 1)
            let dialog = try devtools.waitForEvent("Page.javascriptDialogOpening")
            #expect(dialog["type"] as? String == "beforeunload")
            try devtools.answerDialog(accept: false)  // "Stay on page"
            try devtools.waitForEvent("Page.javascriptDialogClosed")
            try site.waitForEvent("load 1 asking to reload") {
                $0.load == 1 && $0.kind == "log" && $0["text"] == "reloading"
            }
            // It stayed: the same document, and the browser loaded nothing.
            #expect(try devtools.evaluate("document.getElementById('state').value") as? String == id)
            let (stayed, title) = try devtools.documents()
            #expect(stayed == [])
            #expect(title == "/page #1")
            #expect(site.requests("/page") == 1)

            // Probe until the tab listens again: bounded in count and time.
            let blue = "rgb(0, 0, 255)"
            let turnedBlue: (BrowserEvent) -> Bool = { $0.kind == "color" && $0["color"] == blue }
            site.setColor(blue)
            let start = ContinuousClock.now
            var probes = 0
            while site.events(where: turnedBlue).isEmpty {
                guard probes < 60, ContinuousClock.now - start < .seconds(15) else {
                    throw BrowserTestError(description: """
                        the tab did not listen again within \(ContinuousClock.now - start) (\(probes) stylesheet \
                        probes); beacons:
                        \(site.eventLog)
                        """)
                }
                probes += 1
                let seen = site.events { $0.load == 1 }.map(\.seen).max() ?? 0
                #expect(broker.reloadAndWait(path: "/site.css") == 1)
                try site.waitForEvent("the page's answer to stylesheet probe \(probes)", timeout: .seconds(15)) {
                    turnedBlue($0) || ($0.load == 1 && $0.kind == "quiet" && $0.seen > seen)
                }
            }
            let swapped = try #require(site.events(where: turnedBlue).first)
            #expect(swapped["id"] == id)
            #expect(swapped.load == 1)
            #expect(site.requests("/page") == 1)

            // Listening again: without the confirmation, the next trigger reloads the page, once.
            _ = try devtools.evaluate("removeEventListener('beforeunload', confirmLeaving)")
            #expect(broker.reloadAndWait() == 1)
            let second = try site.waitSettled("/page", load: 2)
            #expect(second["id"] != id)
            let (loads, reloadedTitle) = try devtools.documents()
            #expect(loads == [.init(url: "http://127.0.0.1:\(broker.port)/page", status: 200)])
            #expect(reloadedTitle == "/page #2")
            #expect(site.requests("/page") == 2)
        }
    }
}

// MARK: Helpers

let quietLogger = Logger(label: "browser-test") { _ in SwiftLogNoOpLogHandler() }

/// A started broker on loopback serving `site` (port 0: any free port).
func startBroker(_ site: TestSite, port: Int = 0) throws -> ReloadBroker {
    var configuration = BrokerConfiguration()
    configuration.port = port
    configuration.fallback = site
    let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
    try broker.start()
    return broker
}

/// Runs `body` with a broker serving `site` and a browser showing `path`; stops both after,
/// also when `body` throws.
private func withBrowser(
    _ site: TestSite, open path: String, _ body: (ReloadBroker, Chromium) throws -> Void
) throws {
    let broker = try startBroker(site)
    defer { broker.stop() }
    let browser = try Chromium(url: "http://127.0.0.1:\(broker.port)\(path)")
    defer { browser.stop() }
    try withDiagnostics(browser) { try body(broker, browser) }
}

/// Adds the end of Chromium's output to an error `body` throws (the beacons are in it already).
func withDiagnostics(_ browser: Chromium, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        throw BrowserTestError(description: "\(error)\nchromium output:\n\(browser.logTail)")
    }
}

/// Waits (bounded: ~10 s) until the broker has `count` WebSocket clients.
private func waitForClients(_ broker: ReloadBroker, _ count: Int) throws {
    guard eventually({ broker.connectedClients == count }) else {
        throw BrowserTestError(description: "expected \(count) connected clients, have \(broker.connectedClients)")
    }
}
