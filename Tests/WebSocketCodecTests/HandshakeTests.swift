import HTTPCodec
import Testing

@testable import WebSocketCodec

@Suite struct HandshakeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// A valid upgrade request, as in RFC 6455 §1.2.
    static func request(
        method: String = "GET", version: HTTPVersion = .http1_1, dropping dropped: Set<String> = [],
        replacing replaced: [String: String] = [:], adding added: [(String, String)] = []
    ) -> RequestHead {
        var headers = HTTPHeaders()
        let base = [
            ("Host", "server.example.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key), ("Origin", "http://example.com"), ("Sec-WebSocket-Version", "13"),
        ]
        for (name, value) in base where !dropped.contains(name) {
            headers.add(name, replaced[name] ?? value)
        }
        for (name, value) in added { headers.add(name, value) }
        return RequestHead(method: method, target: "/chat", version: version, headers: headers)
    }

    static func rejection(_ decision: WebSocketHandshake.Decision) -> ResponseHead? {
        if case .reject(let head, _) = decision { return head }
        return nil
    }

    @Test func acceptValueMatchesRFCExample() {
        // RFC 6455 §1.3.
        #expect(WebSocketHandshake.acceptValue(forKey: Self.key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func validRequestUpgrades() throws {
        let decision = WebSocketHandshake.evaluate(Self.request())
        guard case .upgrade(let head) = decision else {
            Issue.record("expected an upgrade, got \(decision)")
            return
        }
        #expect(head.status == .switchingProtocols)
        #expect(head.status.code == 101)
        #expect(head.headers["upgrade"] == "websocket")
        #expect(head.headers.containsToken("upgrade", in: "Connection"))
        #expect(head.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(!head.headers.contains("Sec-WebSocket-Protocol"))
        #expect(!head.headers.contains("Sec-WebSocket-Extensions"))
        let text = String(decoding: head.serialized(), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 101 "))
        #expect(WebSocketHandshake.isValidUpgradeResponse(head, key: Self.key))
        #expect(!WebSocketHandshake.isValidUpgradeResponse(head, key: "AAAAAAAAAAAAAAAAAAAAAA=="))
    }

    @Test(arguments: [
        ("keep-alive, Upgrade", "websocket"), ("upgrade", "WebSocket"), ("UPGRADE", "WEBSOCKET"),
        ("Keep-Alive ,  upgrade ", " websocket"), ("Upgrade,keep-alive", "websocket, h2c"),
    ])
    func tokenListsInAnyCase(connection: String, upgrade: String) {
        let request = Self.request(replacing: ["Connection": connection, "Upgrade": upgrade])
        #expect(WebSocketHandshake.isUpgradeRequest(request))
        guard case .upgrade(let head) = WebSocketHandshake.evaluate(request) else {
            Issue.record("expected an upgrade for Connection: \(connection), Upgrade: \(upgrade)")
            return
        }
        #expect(head.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func keyWithSurroundingWhitespaceIsTrimmed() {
        let request = Self.request(replacing: ["Sec-WebSocket-Key": " \(Self.key) "])
        guard case .upgrade(let head) = WebSocketHandshake.evaluate(request) else {
            Issue.record("expected an upgrade")
            return
        }
        #expect(head.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test(arguments: ["POST", "HEAD", "PUT", "get"])
    func nonGETIs405(method: String) throws {
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(Self.request(method: method))))
        #expect(head.status == .methodNotAllowed)
        #expect(head.status.code == 405)
        #expect(head.headers["Allow"] == "GET")
    }

    @Test func http10Is400() throws {
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(Self.request(version: .http1_0))))
        #expect(head.status.code == 400)
    }

    @Test func missingVersionIs426WithVersionHeader() throws {
        let request = Self.request(dropping: ["Sec-WebSocket-Version"])
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status == .upgradeRequired)
        #expect(head.status.code == 426)
        #expect(head.headers.values("Sec-WebSocket-Version") == ["13"])
    }

    @Test(arguments: ["8", "12", "14", "13, 8", "", "thirteen"])
    func wrongVersionIs426WithVersionHeader(version: String) throws {
        let request = Self.request(replacing: ["Sec-WebSocket-Version": version])
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status.code == 426)
        #expect(head.headers["Sec-WebSocket-Version"] == "13")
        #expect(head.headers.containsToken("websocket", in: "Upgrade"))
    }

    @Test func repeatedVersionHeaderIs426() throws {
        let request = Self.request(adding: [("Sec-WebSocket-Version", "8")])
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status.code == 426)
    }

    @Test(arguments: [
        "",  // empty
        "dGhlIHNhbXBsZSBub25jZQ",  // padding missing
        "dGhlIHNhbXBsZSBub25j",  // 15 bytes
        "dGhlIHNhbXBsZSBub25jZXM=",  // 17 bytes
        "dGhlIHNhbXBsZSBub25jZQ==dGhl",  // trailing data
        "dGhlIHNhbXBsZSBub25jZ!==",  // outside the alphabet
        "dGhlIHNhbXBsZSBub25j=Q==",  // padding in the middle
        "the sample nonce",  // not base64
    ])
    func badKeyIs400(key: String) throws {
        let request = Self.request(replacing: ["Sec-WebSocket-Key": key])
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status == .badRequest)
        #expect(head.status.code == 400)
    }

    @Test func missingKeyIs400() throws {
        let head = try #require(
            Self.rejection(WebSocketHandshake.evaluate(Self.request(dropping: ["Sec-WebSocket-Key"]))))
        #expect(head.status.code == 400)
    }

    @Test func duplicateKeyIs400() throws {
        // Even when both copies are valid and equal.
        let request = Self.request(adding: [("sec-websocket-key", Self.key)])
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status.code == 400)
    }

    @Test func missingUpgradeIs400() throws {
        let request = Self.request(dropping: ["Upgrade"])
        #expect(!WebSocketHandshake.isUpgradeRequest(request))
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status.code == 400)
    }

    @Test func otherUpgradeIs400() throws {
        let request = Self.request(replacing: ["Upgrade": "h2c"])
        #expect(!WebSocketHandshake.isUpgradeRequest(request))
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status.code == 400)
    }

    @Test(arguments: [nil, "keep-alive", "close", "upgraded"])
    func missingConnectionUpgradeIs400(connection: String?) throws {
        let request: RequestHead
        if let connection {
            request = Self.request(replacing: ["Connection": connection])
        } else {
            request = Self.request(dropping: ["Connection"])
        }
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(request)))
        #expect(head.status.code == 400)
    }

    @Test func rejectionsCloseTheConnectionWithoutABody() throws {
        let head = try #require(Self.rejection(WebSocketHandshake.evaluate(Self.request(method: "POST"))))
        #expect(head.headers.containsToken("close", in: "Connection"))
        #expect(head.headers["Content-Length"] == "0")
        guard case .reject(_, let reason) = WebSocketHandshake.evaluate(Self.request(method: "POST")) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func clientRequestIsExact() {
        let bytes = WebSocketHandshake.clientRequest(
            host: "127.0.0.1:35729", path: "/livereload", key: Self.key, origin: "http://localhost:8080",
            extraHeaders: [("User-Agent", "bench")])
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:35729\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\nOrigin: http://localhost:8080\r\nUser-Agent: bench\r\n\r\n")
        let plain = WebSocketHandshake.clientRequest(host: "h", path: "/", key: Self.key)
        #expect(!String(decoding: plain, as: UTF8.self).contains("Origin"))
    }

    @Test func madeKeysAreFreshAndAccepted() throws {
        var generator = SeededGenerator(seed: 42)
        var seen = Set<String>()
        for _ in 0..<100 {
            let key = WebSocketHandshake.makeKey(using: &generator)
            #expect(key.utf8.count == 24)
            #expect(Base64.decode(key)?.count == 16)
            seen.insert(key)
            let request = Self.request(replacing: ["Sec-WebSocket-Key": key])
            guard case .upgrade(let head) = WebSocketHandshake.evaluate(request) else {
                Issue.record("made key \(key) was refused")
                return
            }
            #expect(WebSocketHandshake.isValidUpgradeResponse(head, key: key))
        }
        #expect(seen.count == 100)
    }
}

@Suite struct Base64Tests {
    // RFC 4648 §10 test vectors.
    static let vectors = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: vectors)
    func encodesAndDecodesRFCVectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func roundTripsEveryByteValue() {
        let bytes = (0...255).map { UInt8($0) }
        for count in 0...bytes.count {
            let prefix = Array(bytes[..<count])
            #expect(Base64.decode(Base64.encode(prefix)) == prefix)
        }
    }

    @Test(arguments: ["Zg=", "Z===", "Zg==Zg==", "Zm9v=", "Zm 9v", "=Zm9"])
    func rejectsMalformed(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
