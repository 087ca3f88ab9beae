import Foundation
import HTTPCodec
import Testing
import TestSupport
import WebSocketCodec

/// The built binary, run the way users run it.
@Suite("reload-broker serve and trigger", .serialized)
struct ServeTests {
    /// A served site with one connected page.
    struct Session {
        let folder: TemporaryFolder
        let broker: ChildProcess
        let port: Int
        let page: TestWebSocket

        init(extraArguments: [String] = []) throws {
            folder = try TemporaryFolder()
            try folder.write("index.html", "<!doctype html><html><head><title>t</title></head><body>one</body></html>")
            try folder.write("css/site.css", "body { color: black }")
            try folder.write("sub/page.html", "<p>sub</p>")
            (broker, port) = try startServe(["--root", folder.path] + extraArguments)
            page = try TestWebSocket(port: port)
            #expect(jsonField("type", in: try page.nextText()) == "hello")
        }

        /// The next message's type and epoch.
        func next() throws -> (type: String?, epoch: Int?, path: String?) {
            let message = try page.nextText()
            return (jsonField("type", in: message), Int(jsonField("epoch", in: message) ?? ""), jsonField("path", in: message))
        }

        /// Proves that nothing else was broadcast: a trigger now must arrive as the very next epoch.
        func expectNothingElse(after epoch: Int) throws {
            let result = try runBroker(["trigger", "--url", "http://127.0.0.1:\(port)/__reload", "--quiet"])
            #expect(result.status == 0)
            let next = try self.next()
            #expect(next.type == "reload")
            #expect(next.epoch == epoch + 1, "an extra broadcast happened in between")
        }
    }

    @Test func servesPagesWithTheClientInjected() throws {
        let session = try Session()
        let page = try httpRequest(port: session.port, path: "/")
        #expect(page.status == 200)
        #expect(page.text.contains("data-reload-broker"))
        #expect(page.headers["Cache-Control"] == "no-store")
        #expect(page.headers["ETag"] != nil)
        let css = try httpRequest(port: session.port, path: "/css/site.css")
        #expect(css.headers["Content-Type"] == "text/css; charset=utf-8")
        #expect(css.text == "body { color: black }")
        let missing = try httpRequest(port: session.port, path: "/nope.html")
        #expect(missing.status == 404)
        #expect(missing.text.contains("data-reload-broker"))
        let redirect = try httpRequest(port: session.port, path: "/sub")
        #expect(redirect.status == 301)
        #expect(redirect.headers["Location"] == "/sub/")
        // "//sub" names the same folder, but "//sub/" would send the browser to the host "sub".
        for path in ["//sub", "///sub"] {
            let doubled = try httpRequest(port: session.port, path: path)
            #expect(doubled.status == 301, "\(path)")
            #expect(doubled.headers["Location"] == "/sub/", "\(path)")
        }
    }

    @Test func aSavedFileReloadsOnce() throws {
        let session = try Session()
        try session.folder.write("index.html", "<html><head></head><body>two</body></html>")
        let message = try session.next()
        #expect(message.type == "reload")
        #expect(message.epoch == 1)
        try session.expectNothingElse(after: 1)
    }

    @Test func aBurstOf200WritesMakesOneReload() throws {
        let session = try Session()
        for index in 0..<200 {
            try session.folder.write("pages/p\(index % 20).html", "<p>\(index)</p>")
        }
        let message = try session.next()
        #expect(message.type == "reload")
        #expect(message.epoch == 1)
        try session.expectNothingElse(after: 1)
    }

    @Test func aStylesheetEditSwapsTheStylesheet() throws {
        let session = try Session()
        try session.folder.write("css/site.css", "body { color: red }")
        let message = try session.next()
        #expect(message.type == "css")
        #expect(message.path == "/css/site.css")
        try session.expectNothingElse(after: 1)
    }

    @Test func everyWayEditorsSaveIsSeen() throws {
        let session = try Session()
        let fileManager = FileManager.default
        var epoch = 0
        // Write a temporary file, then rename it over the original (most editors, atomic saves).
        try session.folder.write("tmp-save.html.tmp", "<p>renamed</p>")
        #expect(rename(session.folder.path + "/tmp-save.html.tmp", session.folder.path + "/index.html") == 0)
        epoch += 1
        #expect(try session.next().epoch == epoch)
        // Delete, then create again.
        try fileManager.removeItem(at: session.folder.url("index.html"))
        try session.folder.write("index.html", "<p>recreated</p>")
        epoch += 1
        #expect(try session.next().epoch == epoch)
        // vim: write 4913, rename the file to file~, write the file, delete file~.
        try session.folder.write("4913", "")
        try fileManager.removeItem(at: session.folder.url("4913"))
        try fileManager.moveItem(at: session.folder.url("index.html"), to: session.folder.url("index.html~"))
        try session.folder.write("index.html", "<p>vim</p>")
        try fileManager.removeItem(at: session.folder.url("index.html~"))
        epoch += 1
        #expect(try session.next().epoch == epoch)
        try session.expectNothingElse(after: epoch)
    }

    @Test func foldersCreatedLaterAreWatchedAndIgnoredOnesAreNot() throws {
        let session = try Session()
        try session.folder.write("node_modules/lib/index.js", "x")
        try session.folder.write(".git/HEAD", "ref")
        try session.folder.write("index.html.swp", "swap")
        try FileManager.default.createDirectory(at: session.folder.url("later/deeper"), withIntermediateDirectories: true)
        let created = try session.next()  // the new folder itself is a change
        #expect(created.type == "reload")
        try session.folder.write("later/deeper/new.html", "<p>new</p>")
        let message = try session.next()
        #expect(message.type == "reload")
        #expect(message.epoch == 2)
        try session.expectNothingElse(after: 2)
    }

    @Test func aChangeRightAfterAReloadGetsItsOwnReload() throws {
        let session = try Session()
        try session.folder.write("index.html", "<p>a</p>")
        #expect(try session.next().epoch == 1)
        try session.folder.write("index.html", "<p>b</p>")
        #expect(try session.next().epoch == 2)
    }

    @Test(arguments: [
        "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt",
        "/..%5csecret.txt", "/a%00.html", "/.hidden", "/link-out/secret.txt", "/escape",
        // double encoding, overlong UTF-8, mixed forms, absolute paths in disguise
        "/%252e%252e/%252e%252e/etc/passwd", "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/.%2e/.%2e/etc/passwd",
        "/..\\..\\etc\\passwd", "//etc/passwd", "/%2fetc%2fpasswd", "/..;/..;/etc/passwd", "/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    ])
    func traversalIsRefused(path: String) throws {
        let outside = try TemporaryFolder()
        try outside.write("secret.txt", "TOP SECRET")
        let session = try Session()
        try FileManager.default.createSymbolicLink(atPath: session.folder.path + "/link-out", withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: session.folder.path + "/escape", withDestinationPath: outside.path + "/secret.txt")
        try session.folder.write(".hidden", "HIDDEN CONTENT")
        let socket = try TestSocket(port: session.port)
        try socket.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        var reader = TestResponseReader()
        let response = try reader.next(from: socket)
        #expect([400, 403, 404].contains(response.status), "\(path) answered \(response.status)")
        #expect(!response.text.contains("TOP SECRET"))
        #expect(!response.text.contains("root:"))
        #expect(!response.text.contains("HIDDEN CONTENT"))
    }

    @Test func twoSavesWithinOneSecondGetDifferentETags() throws {
        let session = try Session()
        try session.folder.write("data.json", "{\"v\":1}")
        _ = try session.next()
        let first = try httpRequest(port: session.port, path: "/data.json")
        try session.folder.write("data.json", "{\"v\":2}")
        _ = try session.next()
        let second = try httpRequest(port: session.port, path: "/data.json", headers: [("If-None-Match", first.headers["ETag"] ?? "")])
        #expect(second.status == 200)
        #expect(second.text == "{\"v\":2}")
        let again = try httpRequest(port: session.port, path: "/data.json", headers: [("If-None-Match", second.headers["ETag"] ?? "")])
        #expect(again.status == 304)
    }

    @Test func largeFilesStreamWithRanges() throws {
        let session = try Session()
        var big = [UInt8](repeating: 0, count: 3 << 20)
        for index in big.indices { big[index] = UInt8(truncatingIfNeeded: index &* 31) }
        try Data(big).write(to: session.folder.url("big.bin"))
        _ = try session.next()
        let whole = try httpRequest(port: session.port, path: "/big.bin")
        #expect(whole.status == 200)
        #expect(whole.body == big)
        let part = try httpRequest(port: session.port, path: "/big.bin", headers: [("Range", "bytes=100-199")])
        #expect(part.status == 206)
        #expect(part.body == Array(big[100...199]))
        #expect(part.headers["Content-Range"] == "bytes 100-199/\(big.count)")
    }

    @Test func sighupReloadsAndSigtermStopsWithCloseFrames() throws {
        let session = try Session()
        session.broker.signal(SIGHUP)
        #expect(try session.next().type == "reload")
        session.broker.signal(SIGTERM)
        guard case .close(let code, _) = try session.page.next() else {
            Issue.record("no close frame")
            return
        }
        #expect(code == 1001)
        #expect(try session.broker.waitForExit() == 0)
    }

    @Test func triggerReportsHowManyClientsItReached() throws {
        let session = try Session()
        let url = "http://127.0.0.1:\(session.port)/__reload"
        let reached = try runBroker(["trigger", "--url", url])
        #expect(reached.status == 0)
        #expect(reached.stdout.contains("reload sent to 1 client"))
        #expect(try session.next().type == "reload")
        let css = try runBroker(["trigger", "--url", url, "--path", "css/site.css"])
        #expect(css.status == 0)
        let message = try session.next()
        #expect(message.type == "css")
        #expect(message.path == "css/site.css")
    }

    @Test func triggerExitStatuses() throws {
        let folder = try TemporaryFolder()
        let (broker, port) = try startServe(["--root", folder.path, "--token", "s3cret"])
        _ = broker
        let url = "http://127.0.0.1:\(port)/__reload"
        let none = try runBroker(["trigger", "--url", url, "--token", "s3cret"])
        #expect(none.status == 1)
        #expect(none.stdout.contains("sent to 0 clients"))
        let refused = try runBroker(["trigger", "--url", url, "--token", "wrong"])
        #expect(refused.status == 8)
        #expect(refused.stderr.contains("refused"))
        let unreachable = try runBroker(["trigger", "--url", "http://127.0.0.1:1/__reload"])
        #expect(unreachable.status == 7)
        #expect(unreachable.stderr.contains("no broker answered"))
    }
}

@Suite("reload-broker serve edge cases", .serialized)
struct ServeEdgeCaseTests {
    @Test func symbolicLinkLoopsDoNotHangStartUp() throws {
        let folder = try TemporaryFolder()
        try folder.write("index.html", "<p>loops</p>")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/a", withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/b", withDestinationPath: ".")
        let (broker, port) = try startServe(["--root", folder.path])
        _ = broker
        #expect(try httpRequest(port: port, path: "/").status == 200)
    }

    @Test func aFileThatKeepsChangingStillReloads() throws {
        let folder = try TemporaryFolder()
        try folder.write("index.html", "<p>0</p>")
        let (broker, port) = try startServe(["--root", folder.path])
        _ = broker
        let page = try TestWebSocket(port: port)
        _ = try page.nextText()
        // Writes every 10 ms keep the quiet window from ever closing: the 500 ms cap must flush.
        let writer = Thread {
            for index in 0..<300 { try? folder.write("index.html", "<p>\(index)</p>"); usleep(10_000) }
        }
        writer.start()
        let message = try page.nextText(timeout: .seconds(2.5))
        #expect(jsonField("type", in: message) == "reload")
    }
}

@Suite("reload-broker errors")
struct CLIErrorTests {
    @Test func portInUse() throws {
        let folder = try TemporaryFolder()
        let (first, port) = try startServe(["--root", folder.path])
        _ = first
        let second = try runBroker(["serve", "--root", folder.path, "--port", String(port)])
        #expect(second.status == 3)
        #expect(second.stderr.contains("already in use"))
        #expect(!second.stderr.contains("Fatal error"))
    }

    @Test func rootMissingOrNotAFolder() throws {
        let missing = try runBroker(["serve", "--root", "/nonexistent/site", "--port", "0"])
        #expect(missing.status == 5)
        #expect(missing.stderr.contains("does not exist"))
        let folder = try TemporaryFolder()
        try folder.write("file.txt", "x")
        let file = try runBroker(["serve", "--root", folder.path + "/file.txt", "--port", "0"])
        #expect(file.status == 5)
        #expect(file.stderr.contains("is not a folder"))
    }

    @Test func watchPathMissing() throws {
        let folder = try TemporaryFolder()
        let result = try runBroker(["serve", "--root", folder.path, "--watch", folder.path + "/nope", "--port", "0"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("cannot watch"))
    }

    @Test(arguments: [
        ["serve", "--port", "70000"], ["serve", "--log-level", "loud"], ["serve", "--debounce", "-1"],
        ["trigger", "--url", "ftp://x"], ["serve", "--bogus"],
    ])
    func badOptionValues(arguments: [String]) throws {
        let result = try runBroker(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error:"))
        #expect(!result.stderr.contains("Fatal error"))
    }
}
