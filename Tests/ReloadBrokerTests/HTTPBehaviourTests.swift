import HTTPCodec
import ReloadBroker
import TestSupport
import Testing

@Suite("HTTP answers and limits over loopback")
struct HTTPBehaviourTests {
    @Test(arguments: [
        ("BLAH\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400),
        ("POST /__reload/trigger HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST /__reload/trigger HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST /__reload/trigger HTTP/1.1\r\nHost: a\r\nContent-Length: 999999\r\n\r\n", 413),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ])
    func badRequestsGetTheirStatusAndTheConnectionCloses(request: String, status: Int) throws {
        try withBroker { broker throws in
            let socket = try TestSocket(port: broker.port)
            try socket.send(request)
            var reader = TestResponseReader()
            #expect(try reader.next(from: socket).status == status)
            #expect(try socket.readToEnd().isEmpty)
        }
    }

    @Test func oversizedHeadGets431() throws {
        try withBroker { broker throws in
            let socket = try TestSocket(port: broker.port)
            try socket.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
            var reader = TestResponseReader()
            #expect(try reader.next(from: socket).status == 431)
        }
    }

    @Test func wrongMethodsOnBrokerPathsGet405() throws {
        try withBroker { broker throws in
            let get = try httpRequest(port: broker.port, path: "/__reload/trigger")
            #expect(get.status == 405)
            #expect(get.headers["Allow"] == "POST")
            #expect(try httpRequest(port: broker.port, method: "DELETE", path: "/__reload/health").status == 405)
            #expect(try httpRequest(port: broker.port, method: "POST", path: "/__reload/ws").status == 405)
        }
    }

    @Test func plainGetOnTheSocketEndpointGets426() throws {
        try withBroker { broker throws in
            let response = try httpRequest(port: broker.port, path: "/__reload/ws")
            #expect(response.status == 426)
        }
    }

    @Test func wrongWebSocketVersionGets426WithTheVersion() throws {
        try withBroker { broker throws in
            let response = try httpRequest(
                port: broker.port, path: "/__reload/ws",
                headers: [
                    ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "8"),
                ])
            #expect(response.status == 426)
            #expect(response.headers["Sec-WebSocket-Version"] == "13")
        }
    }

    @Test func aClientThatNeverFinishesItsHeadIsDropped() throws {
        try withBroker({ $0.headTimeout = .milliseconds(200) }) { broker throws in
            let socket = try TestSocket(port: broker.port)
            try socket.send("GET / HTTP/1.1\r\nHost: a\r\n")  // and then nothing
            // Closed at the head timeout, with nothing written (readToEnd throws if it stays open).
            #expect(try socket.readToEnd(timeout: .seconds(10)).isEmpty)
        }
    }

    @Test func demoPageCarriesTheClientTag() throws {
        try withBroker({ $0.servesDemoPage = true }) { broker throws in
            let page = try httpRequest(port: broker.port, path: "/")
            #expect(page.status == 200)
            #expect(page.text.contains(#"<script src="/__reload/client.js" data-reload-broker"#))
            #expect(page.text.contains("</head>"))
            #expect(page.headers["Content-Length"] == String(page.body.count))
            let missing = try httpRequest(port: broker.port, path: "/missing")
            #expect(missing.status == 404)
            #expect(missing.text.contains("data-reload-broker"))
        }
    }
}

@Suite("Secure defaults")
struct SecurityTests {
    @Test(arguments: ["evil.example", "evil.example:35729", "127.0.0.1.nip.io", "localhost.evil.example"])
    func foreignHostsAreRefused(host: String) throws {
        try withBroker { broker throws in
            let response = try httpRequest(port: broker.port, path: "/__reload/health", host: host)
            #expect(response.status == 403)
        }
    }

    @Test(arguments: ["localhost", "127.0.0.1", "app.localhost", "[::1]", "192.168.1.20"])
    func loopbackNamesAndIPLiteralsAreAnswered(host: String) throws {
        try withBroker { broker throws in
            #expect(try httpRequest(port: broker.port, path: "/__reload/health", host: host).status == 200)
        }
    }

    @Test func configuredHostsAreAnswered() throws {
        try withBroker({ $0.allowedHosts = ["myapp.test", ".dev.test"] }) { broker throws in
            #expect(try httpRequest(port: broker.port, path: "/__reload/health", host: "myapp.test").status == 200)
            #expect(try httpRequest(port: broker.port, path: "/__reload/health", host: "a.dev.test").status == 200)
            #expect(try httpRequest(port: broker.port, path: "/__reload/health", host: "other.test").status == 403)
        }
    }

    @Test(arguments: ["https://evil.example", "null", "http://127.0.0.1.evil.example", "file://"])
    func webSocketsFromForeignOriginsAreRefused(origin: String) throws {
        try withBroker { broker throws in
            #expect(throws: TestClientError.self) { try TestWebSocket(port: broker.port, origin: origin) }
            #expect(broker.connectedClients == 0)
        }
    }

    @Test(arguments: ["http://localhost:3000", "https://127.0.0.1:8443", "http://[::1]:5173", "http://app.localhost"])
    func webSocketsFromLoopbackOriginsAreAccepted(origin: String) throws {
        try withBroker { broker throws in
            let client = try TestWebSocket(port: broker.port, origin: origin)
            #expect(jsonField("type", in: try client.nextText()) == "hello")
        }
    }

    @Test func configuredOriginsAreAccepted() throws {
        try withBroker({ $0.allowedOrigins = ["https://app.test:8443"] }) { broker throws in
            let client = try TestWebSocket(port: broker.port, origin: "https://app.test:8443")
            #expect(jsonField("type", in: try client.nextText()) == "hello")
            #expect(throws: TestClientError.self) { try TestWebSocket(port: broker.port, origin: "https://app.test:9999") }
        }
    }

    @Test func crossSiteTriggersAreRefused() throws {
        try withBroker { broker throws in
            // A page on another site POSTing JSON, or a simple form with text/plain.
            let json = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger",
                headers: [("Origin", "https://evil.example"), ("Content-Type", "application/json")], body: Array("{}".utf8))
            #expect(json.status == 403)
            let form = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger",
                headers: [("Origin", "https://evil.example"), ("Content-Type", "text/plain")], body: Array("x=1".utf8))
            #expect(form.status == 403)
            let fetchMetadata = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("Sec-Fetch-Site", "cross-site")])
            #expect(fetchMetadata.status == 403)
            // Same-site pages and tools without Origin may trigger; no epoch moved above.
            let local = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("Origin", "http://localhost:8000")])
            #expect(local.status == 200)
            #expect(jsonField("epoch", in: local.text) == "1")
        }
    }

    @Test func formBodiesAreRefusedEvenFromAllowedOrigins() throws {
        try withBroker { broker throws in
            let form = try httpRequest(
                port: broker.port, method: "POST", path: "/__reload/trigger",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("path=x".utf8))
            #expect(form.status == 415)
            #expect(broker.epoch == 0)
        }
    }

    @Test func theTokenIsRequiredWhenConfigured() throws {
        try withBroker({ $0.token = "s3cret" }) { broker throws in
            #expect(try httpRequest(port: broker.port, method: "POST", path: "/__reload/trigger").status == 401)
            #expect(
                try httpRequest(
                    port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("Authorization", "Bearer wrong")]
                ).status == 401)
            #expect(
                try httpRequest(
                    port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("Authorization", "Bearer s3cret")]
                ).status == 200)
            #expect(try httpRequest(port: broker.port, method: "POST", path: "/__reload/trigger?token=s3cret").status == 200)
            // Prefixes, extensions and the empty string are refused (the comparison hashes both sides).
            for guess in ["", "s3cre", "s3cret2", "S3CRET"] {
                #expect(
                    try httpRequest(
                        port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("X-Reload-Token", guess)]
                    ).status == 401, "\(guess)")
            }
            #expect(
                try httpRequest(
                    port: broker.port, method: "POST", path: "/__reload/trigger", headers: [("X-Reload-Token", "s3cret")]
                ).status == 200)
            #expect(broker.epoch == 3)
        }
    }
}

@Suite("Injection into pages the broker answers")
struct InjectionRoutingTests {
    @Test func headOfAnInjectedPageReportsTheInjectedLength() throws {
        try withBroker({ $0.servesDemoPage = true }) { broker throws in
            let get = try httpRequest(port: broker.port, path: "/")
            let head = try httpRequest(port: broker.port, method: "HEAD", path: "/")
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == String(get.body.count))
        }
    }

    @Test(arguments: [
        ([("Sec-Fetch-Dest", "document")], true),
        ([("Sec-Fetch-Dest", "iframe")], true),
        ([], true),
        ([("Sec-Fetch-Dest", "empty")], false),
        ([("HX-Request", "true")], false),
    ])
    func pagesAreInjectedFragmentsAreNot(headers: [(String, String)], injected: Bool) throws {
        try withBroker({ $0.servesDemoPage = true }) { broker throws in
            let page = try httpRequest(port: broker.port, path: "/", headers: headers)
            #expect(page.status == 200)
            #expect(page.text.contains("data-reload-broker") == injected)
            #expect((page.headers["X-Reload-Broker-Injected"] != nil) == injected)
        }
    }
}
