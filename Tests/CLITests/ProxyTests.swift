import Foundation
import HTTPCodec
import Testing
import TestSupport
import WebSocketCodec

/// `reload-broker proxy` in front of the Python test app.
@Suite("reload-broker proxy", .serialized)
struct ProxyTests {
    typealias Session = ProxySession

    @Test func anUpstreamResetMidResponseAbortsThatResponseOnly() throws {
        let session = try Session()
        let socket = try TestSocket(port: session.port)
        try socket.send("GET /reset-midway HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        // The client sees the connection end before the promised length (never a hang, never
        // a silently short "complete" response on a connection that stays open).
        let received = try socket.readToEnd(timeout: .seconds(15))
        #expect(received.count < (1 << 20))
        // The app is still considered up: the next page comes from it, not the waiting page.
        let page = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(page.status == 200)
        #expect(page.text.contains("generation 1"))
    }

    @Test func pagesGetTheClientPlainChunkedAndWithSplitTags() throws {
        let session = try Session()
        let page = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(page.status == 200)
        #expect(page.text.components(separatedBy: "data-reload-broker").count == 2)
        #expect(page.text.contains("defer></script></head>"))
        #expect(page.text.contains("generation 1"))
        #expect(page.headers["X-Reload-Broker-Injected"] == "1")
        let chunked = try httpRequest(port: session.port, path: "/chunked", headers: pageHeaders)
        #expect(chunked.status == 200)
        #expect(chunked.headers["Transfer-Encoding"] == "chunked")
        #expect(dechunked(chunked.body).contains("defer></script></head><body>chunked body</body></html>"))
        let missing = try httpRequest(port: session.port, path: "/nope", headers: pageHeaders)
        #expect(missing.status == 404)
        #expect(missing.text.contains("data-reload-broker"))
        // A page the app gzips although identity was asked for is decoded and injected.
        let gzipped = try httpRequest(port: session.port, path: "/gzip.html", headers: pageHeaders)
        #expect(gzipped.headers["Content-Encoding"] == nil)
        #expect(dechunked(gzipped.body).contains("defer></script></head><body><p>generation 1</p>"))
        // "deflate" in the zlib format and, as some servers send it, raw.
        for path in ["/zlib.html", "/raw-deflate.html"] {
            let page = try httpRequest(port: session.port, path: path, headers: pageHeaders)
            #expect(page.status == 200, "\(path)")
            #expect(page.headers["Content-Encoding"] == nil, "\(path)")
            #expect(dechunked(page.body).contains("defer></script></head><body><p>generation 1</p>"), "\(path)")
            #expect(dechunked(page.body).hasSuffix("</html>"), "\(path)")
        }
        // A fragment fetched by script is not a page.
        let fragment = try httpRequest(port: session.port, path: "/", headers: [("Sec-Fetch-Dest", "empty")])
        #expect(!fragment.text.contains("data-reload-broker"))
    }

    @Test func everythingElsePassesByteForByte() throws {
        let session = try Session()
        for path in ["/asset.bin", "/asset.js.gz", "/json"] {
            let direct = try httpRequest(port: session.app.port, path: path, headers: pageHeaders)
            let proxied = try httpRequest(port: session.port, path: path, headers: pageHeaders)
            #expect(proxied.status == direct.status, "\(path)")
            #expect(proxied.body == direct.body, "\(path)")
            #expect(proxied.headers["Content-Type"] == direct.headers["Content-Type"], "\(path)")
            #expect(proxied.headers["Content-Encoding"] == direct.headers["Content-Encoding"], "\(path)")
        }
        // A compressed page fetched by script (not a navigation) stays compressed and untouched.
        let direct = try httpRequest(port: session.app.port, path: "/gzip.html")
        let fetched = try httpRequest(port: session.port, path: "/gzip.html", headers: [("Sec-Fetch-Dest", "empty")])
        #expect(fetched.body == direct.body)
        #expect(fetched.headers["Content-Encoding"] == "gzip")
        let asset = try httpRequest(port: session.port, path: "/asset.bin")
        #expect(asset.headers["ETag"] == "\"a1\"")
    }

    @Test func forwardedHeadersAndHopByHopFields() throws {
        let session = try Session()
        let response = try httpRequest(
            port: session.port, path: "/headers",
            headers: [("X-Custom", "kept"), ("X-Drop", "1"), ("Connection", "X-Drop"), ("TE", "trailers"),
                      ("Proxy-Authorization", "x"), ("Keep-Alive", "timeout=5")])
        let text = response.text
        #expect(text.contains(#""x-custom": "kept""#))
        #expect(text.contains(#""x-forwarded-for": "127.0.0.1""#))
        #expect(text.contains(#""x-forwarded-host": "127.0.0.1:\#(session.port)""#))
        #expect(text.contains(#""x-forwarded-proto": "http""#))
        for dropped in ["x-drop", "\"te\"", "proxy-authorization", "keep-alive"] {
            #expect(!text.contains(dropped), "\(dropped) was forwarded")
        }
        // Pages are asked for uncompressed.
        let page = try httpRequest(port: session.port, path: "/headers", headers: pageHeaders + [("Accept-Encoding", "gzip")])
        #expect(page.text.contains(#""accept-encoding": "identity""#))
    }

    @Test func idleConnectionsToTheAppAreClosedAfterAWhile() throws {
        let session = try Session()
        func count(_ text: String, _ line: String) -> Int { text.components(separatedBy: line).count - 1 }
        #expect(try httpRequest(port: session.port, path: "/json").status == 200)
        // The exchange's connection stays pooled for the next request, then the proxy closes it
        // (after ProxyConfiguration.idleConnectionTimeout, 4 s); the app has no timeout of its own.
        #expect(session.app.waitForOutput { count($0, "app: connection opened") >= 1 })
        #expect(
            session.app.waitForOutput { text in
                count(text, "app: connection closed") >= count(text, "app: connection opened")
            })
        // And the next request opens a new one and works.
        #expect(try httpRequest(port: session.port, path: "/json").status == 200)
    }

    @Test func keepAliveToTheBrowser() throws {
        let session = try Session()
        let socket = try TestSocket(port: session.port)
        var reader = TestResponseReader()
        for _ in 0..<5 {
            try socket.send("GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let response = try reader.next(from: socket)
            #expect(response.status == 200)
            #expect(response.text == #"{"ok": true}"#)
        }
    }

    @Test func requestBodiesStreamToTheApp() throws {
        let session = try Session()
        var body = [UInt8](repeating: 0, count: 3 << 20)
        for index in body.indices { body[index] = UInt8(truncatingIfNeeded: index &* 13) }
        let expected = sha256Hex(body)
        let plain = try httpRequest(port: session.port, method: "POST", path: "/upload", body: body)
        #expect(plain.text.contains(#""length": 3145728"#))
        #expect(plain.text.contains(expected))
        // Chunked upload.
        let socket = try TestSocket(port: session.port)
        var request = Array("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
        var offset = 0
        while offset < body.count {
            let size = min(100_000, body.count - offset)
            request += Array(String(size, radix: 16).utf8) + [13, 10] + body[offset..<offset + size] + [13, 10]
            offset += size
        }
        request += Array("0\r\n\r\n".utf8)
        try socket.send(request)
        var reader = TestResponseReader()
        let chunked = try reader.next(from: socket)
        #expect(chunked.text.contains(expected))
    }

    @Test func serverSentEventsFlowOneByOne() throws {
        let session = try Session()
        let socket = try TestSocket(port: session.port)
        try socket.send("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        var received = ""
        while !received.contains("data: first") {
            let bytes = try socket.receive(timeout: .seconds(5))
            #expect(!bytes.isEmpty)
            if bytes.isEmpty { return }
            received += String(decoding: bytes, as: UTF8.self)
        }
        // The app holds the stream open until released: the first event came through on its own.
        #expect(!received.contains("data: second"))
        _ = try httpRequest(port: session.port, path: "/sse-release")
        while !received.contains("data: second") {
            let bytes = try socket.receive(timeout: .seconds(5))
            if bytes.isEmpty { break }
            received += String(decoding: bytes, as: UTF8.self)
        }
        #expect(received.contains("data: second"))
    }

    @Test func webSocketsOfTheAppAreTunnelled() throws {
        let session = try Session()
        let socket = try TestWebSocket(port: session.port, path: "/ws")
        #expect(try socket.nextText() == "hello from app")
        try socket.sendText("ping 1")
        #expect(try socket.nextText() == "ping 1")
        let big = String(repeating: "x", count: 40_000)
        try socket.sendText(big)
        #expect(try socket.nextText() == big)
        try socket.send(opcode: .binary, [1, 2, 3])
        guard case .binary(let echoed) = try socket.next() else {
            Issue.record("no binary echo")
            return
        }
        #expect(echoed == [1, 2, 3])
        try socket.send(opcode: .close, [0x03, 0xE8])
        guard case .close(let code, _) = try socket.next() else {
            Issue.record("no close echo")
            return
        }
        #expect(code == 1000)
        #expect(try socket.socket.readToEnd(timeout: .seconds(5)).isEmpty)
        // The broker's own socket is still the broker's.
        let own = try TestWebSocket(port: session.port)
        #expect(jsonField("type", in: try own.nextText()) == "hello")
    }

    @Test func aLargeDownloadStreamsInBoundedMemory() throws {
        let session = try Session()
        let pid = session.broker.process.processIdentifier
        _ = try httpRequest(port: session.port, path: "/big?mib=1")
        let before = memory(of: pid)
        let size = 200 << 20
        let socket = try TestSocket(port: session.port, receiveBuffer: 64 * 1024)
        try socket.send("GET /big?mib=200 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        var stalled = false
        var during = before
        let total = try drainResponse(socket, expected: size) { sofar in
            if !stalled, sofar > 20 << 20 {
                // A slow client: stop reading for a while; the broker must stop reading the app too.
                stalled = true
                Thread.sleep(forTimeInterval: 0.5)
                during = memory(of: pid)
            }
        }
        let after = memory(of: pid)
        #expect(total == size)
        let growth = max(after.peak, during.peak) - before.rss
        // Under ASan the allocator's quarantine keeps freed buffers (up to 256 MiB): RSS says nothing there.
        if sanitizerInUse == nil {
            #expect(growth < 64 * 1024, "the broker grew by \(growth) KiB while streaming 200 MiB")
        }
    }

    @Test func aLargeUploadToASlowAppStreamsInBoundedMemory() throws {
        let session = try Session()
        let pid = session.broker.process.processIdentifier
        let before = memory(of: pid)
        let size = 200 << 20
        let socket = try TestSocket(port: session.port)
        try socket.send("POST /slow-upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n")
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<200 { try socket.send(block) }  // blocks while the broker holds back (backpressure)
        var reader = TestResponseReader()
        let response = try reader.next(from: socket, timeout: .seconds(60))
        #expect(response.text.contains(#""length": \#(size)"#))
        let after = memory(of: pid)
        let growth = after.peak - before.rss
        // Under ASan the allocator's quarantine keeps freed buffers (up to 256 MiB): RSS says nothing there.
        if sanitizerInUse == nil {
            #expect(growth < 64 * 1024, "the broker grew by \(growth) KiB while forwarding a 200 MiB upload")
        }
    }

    @Test func expectContinueIsRelayed() throws {
        let session = try Session()
        let socket = try TestSocket(port: session.port)
        try socket.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = String(decoding: try socket.receive(timeout: .seconds(5)), as: UTF8.self)
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
        try socket.send("hello")
        var reader = TestResponseReader()
        let response = try reader.next(from: socket)
        #expect(response.status == 200)
        #expect(response.text.contains(#""length": 5"#))
    }

    @Test func upstreamDownShowsAWaitingPageThatTurnsIntoTheApp() throws {
        let appPort = try freePort()
        let (broker, port) = try startProxy(["--upstream", "http://127.0.0.1:\(appPort)"])
        _ = broker
        let page = try TestWebSocket(port: port)
        let hello = try page.nextText()
        #expect(jsonField("epoch", in: hello) == "0")
        let waiting = try httpRequest(port: port, path: "/", headers: pageHeaders)
        #expect([502, 503].contains(waiting.status))
        #expect(waiting.text.contains("Waiting for the app at"))
        #expect(waiting.text.contains("data-reload-broker"))
        let api = try httpRequest(port: port, path: "/json")
        #expect(api.status == 502)
        #expect(api.text.contains("Cannot reach the app"))
        let app = try PythonApp(port: appPort)
        _ = app
        let message = try page.nextText(timeout: .seconds(10))
        #expect(jsonField("type", in: message) == "reload")
        let after = try httpRequest(port: port, path: "/", headers: pageHeaders)
        #expect(after.status == 200)
        #expect(after.text.contains("generation 1"))
    }

    @Test func anAppThatDoesNotAnswerIsAGatewayTimeout() throws {
        // A listener that never accepts: connecting works (backlog), nothing ever answers.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1 }
        }
        listen(fd, 16)
        let appPort = Int(UInt16(bigEndian: address.sin_port))
        let (broker, port) = try startProxy(["--upstream", "http://127.0.0.1:\(appPort)", "--upstream-timeout", "300"])
        _ = broker
        let response = try httpRequest(port: port, path: "/json")
        #expect(response.status == 504)
    }

    // MARK: --exec

    /// A proxy running the test app with `--exec`, restarted on changes in `source`.
    struct ExecSession {
        let state: AppState
        let source: TemporaryFolder
        let broker: ChildProcess
        let port: Int
        let appPort: Int

        init(_ extra: [String] = [], watch: Bool = true) throws {
            state = AppState(folder: try TemporaryFolder())
            source = try TemporaryFolder()
            appPort = try freePort()
            var arguments = [
                "--upstream", "http://127.0.0.1:\(appPort)", "--exec", "exec python3 \(appScript) \(appPort) \(state.path)",
                "--grace-period", "2000",
            ]
            if watch { arguments += ["--watch", source.path] }
            (broker, port) = try startProxy(arguments + extra)
            try broker.waitForOutput(containing: "generation 1")
        }

        /// A connected page and the epoch of its hello (a start broadcasts nothing: pages that
        /// come meanwhile wait for the app).
        func page() throws -> (TestWebSocket, epoch: Int) {
            let page = try TestWebSocket(port: port)
            let epoch = Int(jsonField("epoch", in: try page.nextText()) ?? "") ?? -1
            return (page, epoch)
        }
    }

    @Test func aChangeReloadsAtOnceAndTheReloadedPageWaitsForTheNewApp() throws {
        let session = try ExecSession()
        let (page, epoch) = try session.page()
        #expect(epoch == 0)
        let first = try #require(session.state.process(generation: 1))
        // The new app takes a while to listen: the page's request must wait for it, not fail.
        try session.state.folder.write("start-delay", "0.8")
        try session.source.write("app.txt", "changed")
        let message = try page.nextText(timeout: .seconds(15))
        #expect(jsonField("type", in: message) == "reload")
        #expect(jsonField("epoch", in: message) == "1")
        // The reload went out when the restart began; the page it asks for is held, then comes
        // from the new process: never the old one, never an error page.
        let reloaded = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(reloaded.status == 200)
        #expect(reloaded.text.contains("generation 2"))
        #expect(waitUntilGroupGone(first.pgid))
        // Nothing else was broadcast in between: a trigger now is the very next epoch.
        let trigger = try runBroker(["trigger", "--url", "http://127.0.0.1:\(session.port)/__reload", "--quiet"])
        #expect(trigger.status == 0)
        #expect(jsonField("epoch", in: try page.nextText()) == "2")
    }

    @Test func aSaveWhileTheAppStartsRestartsItOnceMore() throws {
        let session = try ExecSession()
        let (page, _) = try session.page()
        try session.state.folder.write("start-delay", "2")
        try session.source.write("app.txt", "one")
        #expect(jsonField("epoch", in: try page.nextText(timeout: .seconds(15))) == "1")
        try session.broker.waitForOutput(containing: "app: starting slowly (generation 2)")
        // Saved again while generation 2 is still starting: it is replaced by one more start.
        try FileManager.default.removeItem(atPath: session.state.path + "/start-delay")
        try session.source.write("app.txt", "two")
        #expect(jsonField("epoch", in: try page.nextText(timeout: .seconds(15))) == "2")
        let reloaded = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(reloaded.status == 200)
        #expect(reloaded.text.contains("generation 3"))
        // Settled: a trigger is the next epoch, and no fourth start happened.
        let trigger = try runBroker(["trigger", "--url", "http://127.0.0.1:\(session.port)/__reload", "--quiet"])
        #expect(trigger.status == 0)
        #expect(jsonField("epoch", in: try page.nextText()) == "3")
        #expect(session.state.process(generation: 4) == nil)
    }

    @Test func anAppThatNeverComesBackGetsTheWaitingPageAfterTheTimeout() throws {
        let session = try ExecSession(["--upstream-timeout", "1500"])
        let (page, _) = try session.page()
        try session.state.folder.write("never-listen", "")
        try session.source.write("app.txt", "changed")
        #expect(jsonField("type", in: try page.nextText(timeout: .seconds(15))) == "reload")
        try session.broker.waitForOutput(containing: "app: never listening (generation 2)")
        let waiting = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(waiting.status == 504)
        #expect(waiting.text.contains("data-reload-broker"))  // the waiting page, with the client
        #expect(!waiting.text.contains("<p>generation"))  // not the app's page
        #expect(waiting.text.contains("never listening (generation 2)"))  // what the app printed
        // A fix: the next start listens, and the waiting page's tab reloads once into the app.
        try FileManager.default.removeItem(atPath: session.state.path + "/never-listen")
        try session.source.write("app.txt", "fixed")
        #expect(jsonField("type", in: try page.nextText(timeout: .seconds(15))) == "reload")
        let fixed = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(fixed.text.contains("generation 3"))
    }

    @Test func sigtermStopsTheAppGroup() throws {
        let session = try ExecSession()
        let (page, _) = try session.page()
        let app = try #require(session.state.process(generation: 1))
        session.broker.signal(SIGTERM)
        guard case .close(let code, _) = try page.next() else {
            Issue.record("no close frame")
            return
        }
        #expect(code == 1001)
        #expect(try session.broker.waitForExit(timeout: 10) == 0)
        #expect(waitUntilGroupGone(app.pgid))
    }

    @Test func sigkillOfTheBrokerLeavesNoOrphan() throws {
        let session = try ExecSession()
        let app = try #require(session.state.process(generation: 1))
        #expect(groupAlive(app.pgid))
        session.broker.signal(SIGKILL)
        _ = try session.broker.waitForExit(timeout: 10)
        #expect(waitUntilGroupGone(app.pgid))
    }

    @Test func aKilledAppIsReportedAndRestartedOnTheNextChange() throws {
        let session = try ExecSession()
        let app = try #require(session.state.process(generation: 1))
        kill(app.pid, SIGKILL)
        try session.broker.waitForError(containing: "the app exited with status 137", timeout: 10)
        #expect(waitUntilGroupGone(app.pgid))
        let waiting = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect([502, 503].contains(waiting.status))
        try session.source.write("app.txt", "changed")
        try session.broker.waitForOutput(containing: "generation 2")
        let next = try #require(session.state.process(generation: 2))
        session.broker.signal(SIGTERM)
        _ = try session.broker.waitForExit(timeout: 10)
        #expect(waitUntilGroupGone(next.pgid))
    }

    @Test func aCrashIsReportedWithItsStatusAndExitWithAppExitsWithIt() throws {
        let session = try ExecSession(["--exit-with-app"])
        let app = try #require(session.state.process(generation: 1))
        _ = try? httpRequest(port: session.port, path: "/exit?code=3")
        #expect(try session.broker.waitForExit(timeout: 10) == 3)
        #expect(session.broker.stderr.contains("exited with status 3"))
        #expect(waitUntilGroupGone(app.pgid))
    }

    @Test func anAppThatRestartsItselfReloadsThePagesOnce() throws {
        // --exec without --watch: the app goes away and comes back by itself.
        let session = try ExecSession(watch: false)
        let (page, epoch) = try session.page()
        #expect(epoch == 0)
        // Simulate a self-restart from outside: kill only the python process; the proxy notices it
        // down. The guard then reports the exit, so start a replacement app ourselves.
        let app = try #require(session.state.process(generation: 1))
        kill(app.pid, SIGKILL)
        #expect(waitUntilGroupGone(app.pgid))
        let replacement = try PythonApp(port: session.appPort, state: session.state.path)
        _ = replacement
        let message = try page.nextText(timeout: .seconds(10))
        #expect(jsonField("type", in: message) == "reload")
        #expect(jsonField("epoch", in: message) == "1")
        let reloaded = try httpRequest(port: session.port, path: "/", headers: pageHeaders)
        #expect(reloaded.text.contains("generation 2"))
    }
}

@Suite("reload-broker proxy --exec with a self-reloading server", .serialized)
struct SelfReloadingServerTests {
    @Test func aReloaderThatKeepsItsSocketStillReloadsThePagesOnce() throws {
        let folder = try TemporaryFolder()
        try folder.write("main.py", "v1")
        let appPort = try freePort()
        let reloader = String(#filePath.dropLast("ProxyTests.swift".count)) + "upstreams/reloader.py"
        let (broker, port) = try startProxy([
            "--upstream", "http://127.0.0.1:\(appPort)", "--exec", "exec python3 \(reloader) \(appPort) \(folder.path)/main.py",
        ])
        _ = broker
        // A start broadcasts nothing: the page's hello is at epoch 0.
        let page = try TestWebSocket(port: port)
        #expect(jsonField("epoch", in: try page.nextText()) == "0")
        let first = try httpRequest(port: port, path: "/", headers: [("Accept", "text/html")])
        #expect(first.text.contains("generation 1"))
        let epoch = 0
        // The reloader replaces its worker; the port never refuses connections meanwhile. The
        // pages reload as soon as the new worker exists; their requests wait in the app's socket.
        try folder.write("main.py", "v2")
        let message = try page.nextText(timeout: .seconds(15))
        #expect(jsonField("type", in: message) == "reload")
        #expect(jsonField("epoch", in: message) == String(epoch + 1))
        let reloaded = try httpRequest(port: port, path: "/", headers: [("Accept", "text/html")])
        #expect(reloaded.text.contains("generation 2"))
    }
}

@Suite("reload-broker serve --exec", .serialized)
struct ServeExecTests {
    @Test func theCommandRestartsOnChangesAndStopsWithTheBroker() throws {
        let site = try TemporaryFolder()
        try site.write("index.html", "<html><head></head><body>one</body></html>")
        let state = AppState(folder: try TemporaryFolder())
        let appPort = try freePort()
        let (broker, port) = try startServe([
            "--root", site.path, "--exec", "exec python3 \(appScript) \(appPort) \(state.path)", "--grace-period", "2000",
        ])
        try broker.waitForOutput(containing: "generation 1")
        let page = try TestWebSocket(port: port)
        #expect(jsonField("type", in: try page.nextText()) == "hello")
        let first = try #require(state.process(generation: 1))
        try site.write("index.html", "<html><head></head><body>two</body></html>")
        #expect(jsonField("type", in: try page.nextText()) == "reload")
        try broker.waitForOutput(containing: "generation 2")
        #expect(waitUntilGroupGone(first.pgid))
        let second = try #require(state.process(generation: 2))
        broker.signal(SIGTERM)
        #expect(try broker.waitForExit(timeout: 10) == 0)
        #expect(waitUntilGroupGone(second.pgid))
    }
}

/// The body of a chunked response read as close-delimited (chunk framing removed), as text.
func dechunked(_ body: [UInt8]) -> String {
    var parser = HTTPResponseParser()
    parser.append(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + body)
    var text = ""
    while let event = try? parser.nextEvent() {
        if case .body(let piece) = event { text += String(decoding: piece, as: UTF8.self) }
        if event == .end { break }
    }
    return text
}

/// SHA-256 in hex, through the system's sha256sum (keeps the test free of a crypto dependency).
func sha256Hex(_ bytes: [UInt8]) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try? process.run()
    let writer = input.fileHandleForWriting
    DispatchQueue.global().async {
        writer.write(Data(bytes))
        try? writer.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}
