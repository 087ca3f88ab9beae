import HTTPCodec
import ReloadBroker
import TestSupport
import Testing
import WebSocketCodec

/// LiveReload protocol 7 and tiny-lr's HTTP API against a real broker on loopback.
@Suite("LiveReload endpoints over loopback sockets")
struct LiveReloadSocketTests {
    static let official7 = "http://livereload.com/protocols/official-7"
    static let clientHello =
        #"{"command":"hello","protocols":["http://livereload.com/protocols/official-6","http://livereload.com/protocols/official-7"],"ver":"2.2.1"}"#

    /// A LiveReload client past the handshake (hello both ways, then info).
    private func liveReloadClient(_ broker: ReloadBroker, origin: String? = "http://localhost:8000") throws -> TestWebSocket {
        let client = try TestWebSocket(port: broker.port, path: "/livereload", origin: origin)
        let hello = try client.nextText()
        #expect(jsonField("command", in: hello) == "hello")
        #expect(hello.contains(Self.official7))
        try client.sendText(Self.clientHello)
        try client.sendText(#"{"command":"info","plugins":{},"url":"http://localhost:8000/"}"#)
        // The broker's heartbeat answer proves the info before it was taken (frames are handled in order).
        try client.sendText(#"{"command":"ping"}"#)
        #expect(try client.nextText() == #"{"command":"pong"}"#)
        return client
    }

    private func brokerClient(_ broker: ReloadBroker) throws -> TestWebSocket {
        let client = try TestWebSocket(port: broker.port)
        _ = try client.nextText()
        return client
    }

    /// The status a WebSocket upgrade gets.
    private func upgradeStatus(_ port: Int, path: String, origin: String?) throws -> Int {
        let socket = try TestSocket(port: port)
        try socket.send(WebSocketHandshake.clientRequest(host: "127.0.0.1:\(port)", path: path, key: "dGhlIHNhbXBsZSBub25jZQ==", origin: origin))
        var reader = TestResponseReader()
        return try reader.next(from: socket).status
    }

    @Test func oneBroadcastReachesBothDialects() throws {
        try withBroker { broker throws in
            let liveReload = try liveReloadClient(broker)
            let ours = try brokerClient(broker)
            #expect(eventually { broker.connectedClients == 2 })
            #expect(broker.reloadAndWait(path: "styles/site.css") == 2)
            #expect(try liveReload.nextText() == #"{"command":"reload","path":"styles/site.css","liveCSS":true,"liveImg":true}"#)
            #expect(jsonField("type", in: try ours.nextText()) == "css")
            #expect(broker.reloadAndWait() == 2)
            #expect(try liveReload.nextText() == #"{"command":"reload","path":"/","liveCSS":true,"liveImg":true}"#)
            #expect(jsonField("type", in: try ours.nextText()) == "reload")
        }
    }

    @Test func extensionProbeGetsJSONWithinASecond() throws {
        try withBroker { broker throws in
            for origin in ["chrome-extension://jnihajbhpnppcggbcgedagnkighmdlei", "moz-extension://0c5b6e64-1f7a-4b6f-9d0e"] {
                let probe = try TestWebSocket(port: broker.port, path: "/livereload", origin: origin)
                try probe.sendText(#"{"command":"hello","protocols":["http://livereload.com/protocols/connection-check-1"]}"#)
                let reply = try probe.nextText(timeout: .seconds(1))  // a bounded wait, not a timing assertion
                #expect(jsonField("command", in: reply) == "hello")
            }
        }
    }

    @Test func foreignOriginsAreRefused() throws {
        try withBroker { broker throws in
            #expect(try upgradeStatus(broker.port, path: "/livereload", origin: "http://evil.example") == 403)
            #expect(try upgradeStatus(broker.port, path: "/livereload", origin: "null") == 403)
            // Extension origins are for the LiveReload socket only.
            #expect(try upgradeStatus(broker.port, path: "/__reload/ws", origin: "chrome-extension://abc") == 403)
            // Tools send no Origin.
            #expect(try upgradeStatus(broker.port, path: "/livereload", origin: nil) == 101)
        }
    }

    @Test func foreignOriginTriggersBroadcastNothing() throws {
        try withBroker { broker throws in
            let liveReload = try liveReloadClient(broker)
            let ours = try brokerClient(broker)
            #expect(eventually { broker.connectedClients == 2 })
            let refused = try httpRequest(
                port: broker.port, method: "POST", path: "/changed",
                headers: [("Origin", "http://evil.example"), ("Content-Type", "application/json")],
                body: Array(#"{"files":["index.html"]}"#.utf8))
            #expect(refused.status == 403)
            let alert = try httpRequest(port: broker.port, method: "POST", path: "/alert?message=hi", headers: [("Origin", "http://evil.example")])
            #expect(alert.status == 403)
            let crossSite = try httpRequest(port: broker.port, path: "/changed?files=a.css", headers: [("Sec-Fetch-Site", "cross-site")])
            #expect(crossSite.status == 403)
            let rebound = try httpRequest(port: broker.port, path: "/changed?files=a.css", host: "evil.example")
            #expect(rebound.status == 403)  // the Host check (DNS rebinding) applies too
            #expect(broker.epoch == 0)
            // The next frames each client gets are those of a broadcast made after: nothing came before.
            #expect(broker.reloadAndWait(path: "/after.css") == 2)
            #expect(jsonField("path", in: try liveReload.nextText()) == "/after.css")
            #expect(jsonField("path", in: try ours.nextText()) == "/after.css")
        }
    }

    @Test func changedFromTheQuerySwapsStylesheets() throws {
        try withBroker { broker throws in
            let liveReload = try liveReloadClient(broker)
            let ours = try brokerClient(broker)
            #expect(eventually { broker.connectedClients == 2 })
            let response = try httpRequest(port: broker.port, path: "/changed?files=style.css,print.css")
            #expect(response.status == 200)
            #expect(response.text.contains(#""files":["style.css","print.css"]"#))
            #expect(response.text.contains(#""clients":[{"id":"#))
            #expect(response.text.contains(#""url":"http://localhost:8000/""#))
            #expect(jsonField("path", in: try liveReload.nextText()) == "style.css")
            #expect(jsonField("path", in: try liveReload.nextText()) == "print.css")
            #expect(jsonField("type", in: try ours.nextText()) == "css")
            #expect(jsonField("type", in: try ours.nextText()) == "css")
            #expect(broker.epoch == 2)
        }
    }

    @Test func changedWithAPageReloadsOnce() throws {
        try withBroker { broker throws in
            let liveReload = try liveReloadClient(broker)
            let ours = try brokerClient(broker)
            #expect(eventually { broker.connectedClients == 2 })
            let json = try httpRequest(
                port: broker.port, method: "POST", path: "/changed", headers: [("Content-Type", "application/json")],
                body: Array(#"{"files":["style.css","index.html"]}"#.utf8))
            #expect(json.status == 200)
            #expect(jsonField("reached", in: json.text) == "2")
            #expect(jsonField("path", in: try liveReload.nextText()) == "/")
            #expect(jsonField("type", in: try ours.nextText()) == "reload")
            let form = try httpRequest(
                port: broker.port, method: "POST", path: "/changed",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("files=app.js".utf8))
            #expect(form.status == 200)
            #expect(jsonField("path", in: try liveReload.nextText()) == "/")
            #expect(broker.epoch == 2)
        }
    }

    @Test func alertReachesOnlyLiveReloadClients() throws {
        try withBroker { broker throws in
            let liveReload = try liveReloadClient(broker)
            let ours = try brokerClient(broker)
            #expect(eventually { broker.connectedClients == 2 })
            let response = try httpRequest(
                port: broker.port, method: "POST", path: "/alert", headers: [("Content-Type", "application/json")],
                body: Array(#"{"message":"Build failed"}"#.utf8))
            #expect(response.status == 200)
            #expect(try liveReload.nextText() == #"{"command":"alert","message":"Build failed"}"#)
            #expect(broker.epoch == 0)
            #expect(try httpRequest(port: broker.port, method: "POST", path: "/alert").status == 400)
            #expect(broker.reloadAndWait() == 2)
            #expect(jsonField("type", in: try ours.nextText()) == "reload")  // no alert before it
        }
    }

    @Test func tokenGuardsChangedAndAlert() throws {
        try withBroker({ $0.token = "s3cret" }) { broker throws in
            #expect(try httpRequest(port: broker.port, path: "/changed?files=a.css").status == 401)
            #expect(try httpRequest(port: broker.port, method: "POST", path: "/alert?message=x").status == 401)
            #expect(broker.epoch == 0)
            let allowed = try httpRequest(port: broker.port, path: "/changed?files=a.css", headers: [("Authorization", "Bearer s3cret")])
            #expect(allowed.status == 200)
            #expect(try httpRequest(port: broker.port, path: "/changed?files=b.css&token=s3cret").status == 200)
            #expect(broker.epoch == 2)
        }
    }

    @Test func scriptWelcomeAndMethods() throws {
        try withBroker { broker throws in
            let script = try httpRequest(port: broker.port, path: "/livereload.js?snipver=1")
            #expect(script.status == 200)
            #expect(script.headers["Content-Type"]?.hasPrefix("text/javascript") == true)
            #expect(script.text.contains("createLiveReloadSocket"))
            let welcome = try httpRequest(port: broker.port, path: "/")
            #expect(jsonField("tinylr", in: welcome.text) == "Welcome")
            #expect(try httpRequest(port: broker.port, method: "DELETE", path: "/changed").status == 405)
            #expect(try httpRequest(port: broker.port, path: "/kill").status == 404)  // never offered
            #expect(try httpRequest(port: broker.port, path: "/livereload").status == 426)
        }
    }

    @Test func turnedOffAndMoved() throws {
        try withBroker({ $0.liveReload = nil }) { broker throws in
            for path in ["/livereload.js", "/changed?files=a.css", "/alert?message=x", "/livereload"] {
                #expect(try httpRequest(port: broker.port, path: path).status == 404, "\(path)")
            }
            #expect(broker.epoch == 0)
        }
        try withBroker({ $0.liveReload = LiveReloadConfiguration(socketPath: "/lr/socket/") }) { broker throws in
            #expect(try upgradeStatus(broker.port, path: "/lr/socket", origin: nil) == 101)
            #expect(try httpRequest(port: broker.port, path: "/livereload").status == 404)
        }
    }

    @Test func anUnsupportedHelloCloses() throws {
        try withBroker { broker throws in
            let other = try TestWebSocket(port: broker.port, path: "/livereload")
            _ = try other.nextText()
            try other.sendText(#"{"command":"hello","protocols":["http://example.com/other"]}"#)
            guard case .close(let code, _) = try other.next() else {
                Issue.record("expected a close frame")
                return
            }
            #expect(code == 1002)
        }
    }

    @Test func triggerTakesSeveralPaths() throws {
        try withBroker { broker throws in
            let ours = try brokerClient(broker)
            #expect(eventually { broker.connectedClients == 1 })
            let response = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("Content-Type", "application/json")],
                body: Array(#"{"paths":["a.css","b.css"]}"#.utf8))
            #expect(response.status == 200)
            #expect(jsonField("path", in: try ours.nextText()) == "a.css")
            #expect(jsonField("path", in: try ours.nextText()) == "b.css")
            _ = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("Content-Type", "application/json")],
                body: Array(#"{"paths":["a.css","app.js"]}"#.utf8))
            #expect(jsonField("type", in: try ours.nextText()) == "reload")
            #expect(broker.epoch == 3)
        }
    }

    /// With several loops (the kernel spreads the connections), a `/changed` and an `/alert`
    /// that land on any loop reach the LiveReload clients of every loop.
    @Test func everyLoopDeliversToItsLiveReloadClients() throws {
        try withBroker({ $0.loops = 3 }) { broker throws in
            var clients: [TestWebSocket] = []
            for _ in 0..<60 { clients.append(try liveReloadClient(broker)) }
            #expect(eventually { broker.connectedClients == 60 })
            #expect(try httpRequest(port: broker.port, path: "/changed?files=site.css").status == 200)
            #expect(try httpRequest(port: broker.port, path: "/alert?message=done").status == 200)
            var swaps = 0, alerts = 0
            for client in clients {
                if jsonField("path", in: try client.nextText()) == "site.css" { swaps += 1 }
                if jsonField("message", in: try client.nextText()) == "done" { alerts += 1 }
            }
            #expect(swaps == 60)
            #expect(alerts == 60)
        }
    }

    @Test func theLibraryReloadsPathsAndAlerts() throws {
        try withBroker { broker throws in
            let client = try liveReloadClient(broker)
            #expect(eventually { broker.connectedClients == 1 })
            broker.reload(paths: ["/a.css", "/b.css"])
            broker.alert("Build failed")
            broker.reload(paths: ["/a.css", "/index.html"])
            #expect(jsonField("path", in: try client.nextText()) == "/a.css")
            #expect(jsonField("path", in: try client.nextText()) == "/b.css")
            #expect(try client.nextText() == #"{"command":"alert","message":"Build failed"}"#)
            #expect(jsonField("path", in: try client.nextText()) == "/")
            #expect(broker.epoch == 3)
        }
    }
}
