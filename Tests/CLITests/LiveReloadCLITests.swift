import Foundation
import HTTPCodec
import Testing
import TestSupport
import WebSocketCodec

/// The LiveReload endpoints of the built binary: `serve` and `proxy` options, `trigger --path`.
@Suite("reload-broker LiveReload endpoints", .serialized)
struct LiveReloadCLITests {
    static let clientHello = #"{"command":"hello","protocols":["http://livereload.com/protocols/official-7"],"ver":"2.2.1"}"#

    private func liveReloadClient(port: Int, path: String = "/livereload") throws -> TestWebSocket {
        let client = try TestWebSocket(port: port, path: path)
        #expect(jsonField("command", in: try client.nextText()) == "hello")
        try client.sendText(Self.clientHello)
        return client
    }

    private func serveFolder(_ extra: [String] = []) throws -> (TemporaryFolder, ChildProcess, Int) {
        let folder = try TemporaryFolder()
        try folder.write("index.html", "<!doctype html><html><head><title>t</title></head><body>one</body></html>")
        try folder.write("css/site.css", "body { color: black }")
        let (broker, port) = try startServe(["--root", folder.path] + extra)
        return (folder, broker, port)
    }

    @Test func aSavedStylesheetReachesBothKindsOfClient() throws {
        let (folder, broker, port) = try serveFolder()
        defer { withExtendedLifetime(broker) {} }
        let liveReload = try liveReloadClient(port: port)
        let page = try TestWebSocket(port: port)
        _ = try page.nextText()
        try folder.write("css/site.css", "body { color: red }")
        // The watcher may still report the files written just before the start (one reload
        // first): skip at most that one.
        let expected = #"{"command":"reload","path":"/css/site.css","liveCSS":true,"liveImg":true}"#
        var liveReloadMessages = [try liveReload.nextText()]
        if liveReloadMessages[0] != expected { liveReloadMessages.append(try liveReload.nextText()) }
        #expect(liveReloadMessages.last == expected, "\(liveReloadMessages)")
        var swap = try page.nextText()
        if jsonField("type", in: swap) == "reload" { swap = try page.nextText() }
        #expect(jsonField("type", in: swap) == "css")
        #expect(jsonField("path", in: swap) == "/css/site.css")
    }

    @Test func triggerSendsSeveralPaths() throws {
        let (_, broker, port) = try serveFolder(["--no-watch"])
        defer { withExtendedLifetime(broker) {} }
        let liveReload = try liveReloadClient(port: port)
        let url = "http://127.0.0.1:\(port)/__reload"
        let result = try runBroker(["trigger", "--url", url, "--path", "/a.css", "--path", "/b.css"])
        #expect(result.status == 0, "\(result.stderr)")
        let first = try liveReload.nextText(), second = try liveReload.nextText()
        #expect(jsonField("path", in: first) == "/a.css", "\(first)")
        #expect(jsonField("path", in: second) == "/b.css", "\(second)")
        #expect(try runBroker(["trigger", "--url", url, "--path", "/a.css", "--path", "/index.html", "--quiet"]).status == 0)
        #expect(jsonField("path", in: try liveReload.nextText()) == "/")
    }

    @Test func noLivereloadAndAnotherPath() throws {
        let (_, off, offPort) = try serveFolder(["--no-livereload", "--no-watch"])
        defer { withExtendedLifetime(off) {} }
        #expect(try httpRequest(port: offPort, path: "/livereload.js").status == 404)
        #expect(try httpRequest(port: offPort, path: "/changed?files=a.css").status == 404)

        let (_, moved, movedPort) = try serveFolder(["--livereload-path", "/__livereload", "--no-watch"])
        defer { withExtendedLifetime(moved) {} }
        let client = try liveReloadClient(port: movedPort, path: "/__livereload")
        #expect(try httpRequest(port: movedPort, path: "/changed?files=x.css").status == 200)
        #expect(jsonField("path", in: try client.nextText()) == "x.css")
    }

    @Test(arguments: ["/changed", "livereload", "/__reload/lr", "/a b"])
    func livereloadPathMustBeFree(_ path: String) throws {
        let result = try runBroker(["serve", "--port", "0", "--livereload-path", path])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--livereload-path"))
    }

    @Test func theProxyAnswersLiveReloadItselfAndPassesTheRest() throws {
        let session = try ProxySession()
        let script = try httpRequest(port: session.port, path: "/livereload.js")
        #expect(script.status == 200)
        #expect(script.text.contains("createLiveReloadSocket"))
        let client = try liveReloadClient(port: session.port)
        let changed = try httpRequest(
            port: session.port, method: "POST", path: "/changed", headers: [("Content-Type", "application/json")],
            body: Array(#"{"files":["app.css"]}"#.utf8))
        #expect(changed.status == 200)
        #expect(jsonField("path", in: try client.nextText()) == "app.css")
        // `/` is the app's page, not tiny-lr's welcome.
        let page = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(page.text.contains("generation 1"))
    }
}
