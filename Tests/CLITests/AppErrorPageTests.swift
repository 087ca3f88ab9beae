import Foundation
import HTTPCodec
import Testing
import TestSupport

/// `proxy --exec` with an app that crashes at start: the waiting page shows what it printed,
/// escaped, with its exit status and command; saving a fixed app turns the page into the app.
@Suite("reload-broker proxy --exec: the app's errors in the page", .serialized)
struct AppErrorPageTests {
    @Test func aCrashAtStartIsShownEscapedAndAFixTurnsThePageIntoTheApp() throws {
        let source = try TemporaryFolder()
        try source.write("app.py", ErrorPageApps.broken(marker: "MARKER-7f3a"))
        let appPort = try freePort()
        let command = "exec python3 \(source.path)/app.py \(appPort)"
        let (broker, port) = try startProxy([
            "--upstream", "http://127.0.0.1:\(appPort)", "--exec", command, "--watch", source.path, "--grace-period", "1000",
        ])
        defer {
            broker.signal(SIGTERM)
            _ = try? broker.waitForExit(timeout: 10)
        }
        try broker.waitForError(containing: "the app exited with status 1", timeout: 15)
        // The terminal still shows everything the app printed, colours included.
        #expect(broker.stderr.contains("\u{1B}[31mTraceback"))
        #expect(broker.stdout.contains("starting the app"))

        let waiting = try httpRequest(port: port, path: "/", headers: [("Accept", "text/html")])
        #expect([502, 503].contains(waiting.status))
        #expect(waiting.text.contains("MARKER-7f3a"))
        #expect(waiting.text.contains("&lt;b&gt;not defined&lt;/b&gt; &amp; more"))
        #expect(!waiting.text.contains("<b>not defined</b>"))
        #expect(!waiting.text.contains("\u{1B}["))
        #expect(waiting.text.contains("Traceback (most recent call last):"))
        #expect(waiting.text.contains("starting the app"))
        #expect(waiting.text.contains("The app exited with status 1."))
        #expect(waiting.text.contains(command))
        #expect(waiting.text.contains("data-reload-broker"))  // the client: it reloads once the app answers

        // The live view the page polls: JSON, with a tag that answers 304 while nothing changes.
        let status = try httpRequest(port: port, path: "/__reload/app")
        #expect(status.status == 200)
        #expect(status.text.contains(#""state":"exited","status":1,"signal":0"#))
        #expect(status.text.contains("MARKER-7f3a \\u003cb>not defined\\u003c/b> & more"))
        let tag = try #require(status.headers["ETag"])
        let unchanged = try httpRequest(port: port, path: "/__reload/app", headers: [("If-None-Match", tag)])
        #expect(unchanged.status == 304)
        let crossSite = try httpRequest(port: port, path: "/__reload/app", headers: [("Sec-Fetch-Site", "cross-site")])
        #expect(crossSite.status == 403)

        let page = try TestWebSocket(port: port)
        let hello = try page.nextText()
        #expect(jsonField("type", in: hello) == "hello")
        try source.write("app.py", ErrorPageApps.fixed(title: "FIXED-APP"))
        let reload = try page.nextText(timeout: .seconds(20))
        #expect(jsonField("type", in: reload) == "reload")
        let app = try httpRequest(port: port, path: "/", headers: [("Accept", "text/html")])
        #expect(app.status == 200)
        #expect(app.text.contains("<h1>FIXED-APP</h1>"))
        let running = try httpRequest(port: port, path: "/__reload/app")
        #expect(running.text.contains(#""state":"running""#))
    }

    @Test func whatTheAppPrintsWhileStoppingStillReachesTheTerminal() throws {
        let source = try TemporaryFolder()
        try source.write(
            "app.py",
            """
            import signal, sys, time
            def stop(*_):
                print("STOPPING-CLEANLY-9c2")
                sys.exit(0)
            signal.signal(signal.SIGTERM, stop)
            print("UP-AND-WAITING-9c2")
            while True:
                time.sleep(1)

            """)
        let appPort = try freePort()
        let (broker, _) = try startProxy([
            "--upstream", "http://127.0.0.1:\(appPort)", "--exec", "exec python3 \(source.path)/app.py",
        ])
        try broker.waitForOutput(containing: "UP-AND-WAITING-9c2", timeout: 15)
        broker.signal(SIGTERM)
        #expect(try broker.waitForExit(timeout: 15) == 0)
        #expect(broker.stdout.contains("STOPPING-CLEANLY-9c2"))
    }

    @Test func withoutExecTheStatusEndpointIsNotFound() throws {
        let appPort = try freePort()
        let (broker, port) = try startProxy(["--upstream", "http://127.0.0.1:\(appPort)"])
        defer {
            broker.signal(SIGTERM)
            _ = try? broker.waitForExit(timeout: 10)
        }
        #expect(try httpRequest(port: port, path: "/__reload/app").status == 404)
    }
}
