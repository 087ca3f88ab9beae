import Testing
@testable import HTTPCodec

@Suite("HTTPHeaders and RequestHead")
struct HeadersAndHeadTests {
    @Test func lookupsIgnoreASCIICase() {
        let headers: HTTPHeaders = ["Content-Type": "text/html", "X-Multi": "1", "x-multi": "2", "SET-COOKIE": "a=b"]
        #expect(headers["content-type"] == "text/html")
        #expect(headers["CONTENT-TYPE"] == "text/html")
        #expect(headers["x-MULTI"] == "1", "first value")
        #expect(headers.values("X-Multi") == ["1", "2"])
        #expect(headers.values("absent") == [])
        #expect(headers["absent"] == nil)
        #expect(headers.contains("set-cookie"))
        #expect(!headers.contains("set-cookie2"))
        #expect(!headers.contains("Content-Typ"))
        #expect(headers.count == 4)
        // Names are kept as given.
        #expect(headers.map(\.name) == ["Content-Type", "X-Multi", "x-multi", "SET-COOKIE"])
    }

    @Test func caseFoldingIsASCIIOnly() {
        let headers: HTTPHeaders = ["K": "v", "ſ": "long s"]  // U+017F must not match "s" or "S"
        #expect(headers["k"] == "v")
        #expect(headers["s"] == nil)
        #expect(headers["S"] == nil)
    }

    @Test func mutation() {
        var headers: HTTPHeaders = ["A": "1", "b": "2", "a": "3"]
        headers.add("C", "4")
        #expect(headers.count == 4)
        headers.replaceOrAdd("a", "5")
        #expect(headers == HTTPHeaders([("b", "2"), ("C", "4"), ("a", "5")]))
        headers.remove("C")
        headers.remove("nothing")
        #expect(headers == HTTPHeaders([("b", "2"), ("a", "5")]))
        #expect(headers != HTTPHeaders([("B", "2"), ("a", "5")]), "equality is exact")
        #expect(headers != HTTPHeaders([("a", "5"), ("b", "2")]), "order matters")
        #expect(HTTPHeaders() == [:])
        #expect(HTTPHeaders().isEmpty)
    }

    struct TokenCase: Sendable, CustomTestStringConvertible {
        var fields: [(String, String)]
        var token: String
        var expected: Bool
        var testDescription: String { "\(fields) contains \(token): \(expected)" }
    }

    @Test(
        "containsToken",
        arguments: [
            TokenCase(fields: [("Connection", "keep-alive, Upgrade")], token: "upgrade", expected: true),
            TokenCase(fields: [("Connection", "keep-alive, Upgrade")], token: "KEEP-ALIVE", expected: true),
            TokenCase(fields: [("connection", "  close  ")], token: "close", expected: true),
            TokenCase(fields: [("Connection", "keep-alive"), ("Connection", "upgrade")], token: "Upgrade", expected: true),
            TokenCase(fields: [("Connection", ",,\tupgrade\t,")], token: "upgrade", expected: true),
            TokenCase(fields: [("Connection", "upgrade-insecure")], token: "upgrade", expected: false),
            TokenCase(fields: [("Connection", "xupgrade")], token: "upgrade", expected: false),
            TokenCase(fields: [("Connection", "up grade")], token: "upgrade", expected: false),
            TokenCase(fields: [("Upgrade", "upgrade")], token: "upgrade", expected: false),  // other field
            TokenCase(fields: [("Connection", "")], token: "", expected: false),
            TokenCase(fields: [("Connection", ", ,")], token: "", expected: false),
            TokenCase(fields: [], token: "close", expected: false),
        ])
    func containsToken(example: TokenCase) {
        let headers = HTTPHeaders(example.fields)
        #expect(headers.containsToken(example.token, in: "Connection") == example.expected)
    }

    @Test(
        "path and query split",
        arguments: [
            ("/", "/", nil),
            ("/a/b?x=1&y", "/a/b", "x=1&y"),
            ("/?", "/", ""),
            ("/a?b?c", "/a", "b?c"),
            ("/%3F?q=%20", "/%3F", "q=%20"),
            ("*", "*", nil),
            ("http://h/p?q", "http://h/p", "q"),
        ] as [(String, String, String?)])
    func pathAndQuery(target: String, path: String, query: String?) {
        let head = RequestHead(method: "GET", target: target)
        #expect(head.path == path)
        #expect(head.query == query)
    }

    @Test(
        "keep-alive rules (RFC 9112 §9.3)",
        arguments: [
            (HTTPVersion.http1_1, nil, true),
            (.http1_1, "keep-alive", true),
            (.http1_1, "close", false),
            (.http1_1, "Upgrade, CLOSE", false),
            (.http1_1, "upgrade", true),
            (.http1_0, nil, false),
            (.http1_0, "Keep-Alive", true),
            (.http1_0, "keep-alive, close", false),
            (.http1_0, "close", false),
        ] as [(HTTPVersion, String?, Bool)])
    func keepAlive(version: HTTPVersion, connection: String?, expected: Bool) {
        var headers: HTTPHeaders = ["Host": "a"]
        if let connection { headers.add("Connection", connection) }
        let head = RequestHead(method: "GET", target: "/", version: version, headers: headers)
        #expect(head.keepAlive == expected)
    }

    @Test func keepAliveFromParsedRequests() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("GET / HTTP/1.0\r\nconnection: KEEP-ALIVE\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
        #expect(try parser.nextRequest()?.head.keepAlive == true)
        #expect(try parser.nextRequest()?.head.keepAlive == false)
    }

    @Test func versionDescriptions() {
        #expect(HTTPVersion.http1_0.description == "HTTP/1.0")
        #expect(HTTPVersion.http1_1.description == "HTTP/1.1")
    }
}
