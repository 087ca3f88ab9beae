import Foundation
import ReloadBroker
import TestSupport
import Testing

/// Real-browser tests of the LiveReload protocol 7 endpoints: headless Chromium shows a page of
/// a plain dev server on another port that loads a LiveReload client with
/// `?host=127.0.0.1&port=PORT` (the broker's port): the real livereload.js 2.2.1 (fetched from
/// the PyPI wheel in the test setup, see ``LiveReloadJS``), or the broker's own `/livereload.js`.
@Suite(
    "Headless Chromium with LiveReload clients", .serialized,
    .enabled(if: !skipsBrowserTests, "RELOAD_BROKER_SKIP_BROWSER=1 skips the real-browser tests"))
struct LiveReloadBrowserTests {
    static let red = "rgb(255, 0, 0)", blue = "rgb(0, 0, 255)"

    /// livereload.js from the page's own server, told where the broker is.
    static func realClient(_ port: Int) -> String { "/livereload.js?host=127.0.0.1&port=\(port)" }
    /// The broker's `/livereload.js`, as the browser extensions load it.
    static func brokerClient(_ port: Int) -> String { "http://127.0.0.1:\(port)/livereload.js?host=127.0.0.1&port=\(port)" }

    @Test(.needsLivereloadJS) func realLivereloadJSConnectsAndReloadsOnTrigger() throws {
        try withLiveReloadPage(Self.realClient) { broker, site, _ in
            try site.waitConnected(load: 1)
            #expect(broker.reloadAndWait() == 1)
            try site.waitConnected(load: 2)
            #expect(site.requests("/page") == 2)
        }
    }

    @Test(.needsLivereloadJS) func realLivereloadJSSwapsTheStylesheetOnChangedQuery() throws {
        try withLiveReloadPage(Self.realClient) { broker, site, folder in
            try expectStylesheetSwap(broker, site, folder) { () throws in
                let response = try httpRequest(port: broker.port, path: "/changed?files=style.css")
                #expect(response.status == 200)
            }
        }
    }

    @Test(.needsLivereloadJS) func realLivereloadJSReloadsOnPostedChanged() throws {
        try withLiveReloadPage(Self.realClient) { broker, site, _ in
            try site.waitConnected(load: 1)
            try postChanged(broker, #"{"files":["index.html"]}"#)
            try site.waitConnected(load: 2)
            #expect(site.requests("/page") == 2)
        }
    }

    @Test(.needsLivereloadJS) func realLivereloadJSSwapsASavedStylesheetLive() throws {
        try withLiveReloadPage(Self.realClient, watchesRoot: true) { broker, site, folder in
            try expectStylesheetSwap(broker, site, folder) {}  // the save itself is the trigger
        }
    }

    @Test func brokerLivereloadJSSwapsAndReloadsOnChanged() throws {
        try withLiveReloadPage(Self.brokerClient) { broker, site, folder in
            try expectStylesheetSwap(broker, site, folder) { () throws in
                let response = try httpRequest(port: broker.port, path: "/changed?files=style.css")
                #expect(response.status == 200)
            }
            try postChanged(broker, #"{"files":["index.html"]}"#)
            try site.waitConnected(load: 2)
            #expect(site.requests("/page") == 2)
        }
    }

    /// Load 1 is red; `folder`'s stylesheet turns blue, then `trigger`: the same page load turns
    /// blue, stays quiet 400 ms after the reload message, and the page is not requested again.
    private func expectStylesheetSwap(
        _ broker: ReloadBroker, _ site: LiveReloadSite, _ folder: TemporaryFolder, trigger: () throws -> Void
    ) throws {
        let loaded = try site.waitConnected(load: 1)
        let id = try #require(loaded["id"])
        try site.waitForEvent("the initial red") { $0.kind == "color" && $0["color"] == Self.red && $0["id"] == id }
        try folder.write("style.css", "body { color: \(Self.blue); }\n")
        try trigger()
        let swapped = try site.waitForEvent("the page turning blue") { $0.kind == "color" && $0["color"] == Self.blue }
        #expect(swapped["id"] == id)
        #expect(swapped.load == 1)
        try site.waitForEvent("quiet after the reload command") {
            $0.kind == "quiet" && $0["id"] == id && $0["color"] == Self.blue && $0.seen >= 2
        }
        #expect(site.requests("/page") == 1)
        #expect(site.requests("/style.css") == 2)
    }

    private func postChanged(_ broker: ReloadBroker, _ json: String) throws {
        let response = try httpRequest(
            port: broker.port, method: "POST", path: "/changed", headers: [("Content-Type", "application/json")],
            body: Array(json.utf8))
        #expect(response.status == 200)
    }

    /// A broker (LiveReload on; watching the site's folder when asked), the page server on
    /// another port, and a browser on `/page`, whose LiveReload script is `script(brokerPort)`.
    private func withLiveReloadPage(
        _ script: (Int) -> String, watchesRoot: Bool = false,
        _ body: (ReloadBroker, LiveReloadSite, TemporaryFolder) throws -> Void
    ) throws {
        let folder = try TemporaryFolder()
        try folder.write("style.css", "body { color: \(Self.red); }\n")
        let root = URL(fileURLWithPath: folder.path).resolvingSymlinksInPath().path
        var configuration = BrokerConfiguration()
        configuration.port = 0
        if watchesRoot {
            var watch = WatchConfiguration(paths: [root])
            watch.servedRoot = root
            configuration.watch = watch
        }
        let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
        try broker.start()
        defer { broker.stop() }

        let site = LiveReloadSite(root: root)
        site.setScript(script(broker.port))
        var pagesConfiguration = BrokerConfiguration()
        pagesConfiguration.port = 0
        pagesConfiguration.liveReload = nil
        pagesConfiguration.fallback = site
        let pages = try ReloadBroker(configuration: pagesConfiguration, logger: quietLogger)
        try pages.start()
        defer { pages.stop() }

        let browser = try Chromium(url: "http://127.0.0.1:\(pages.port)/page")
        defer { browser.stop() }
        try withDiagnostics(browser) { try body(broker, site, folder) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips a test that needs the real livereload.js when pip cannot get it (the reason is on stderr).
    static var needsLivereloadJS: Self {
        .enabled(if: LiveReloadJS.bytes != nil, "livereload.js 2.2.1 unavailable: pip could not download livereload==2.7.1 (reason on stderr)")
    }
}
