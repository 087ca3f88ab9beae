import HTMLInjection
import HTTPCodec
import Testing

@Suite("shouldInject")
struct ShouldInjectTests {
    static let html: HTTPHeaders = ["Content-Type": "text/html; charset=utf-8"]

    func decide(_ method: String = "GET", _ status: Int = 200, _ headers: HTTPHeaders = html) -> Bool {
        InjectionDecision.shouldInject(method: method, status: status, responseHeaders: headers)
    }

    @Test func getOfAnHTMLPageIsInjected() {
        #expect(decide())
        #expect(decide("GET", 200, ["Content-Type": "text/html"]))
    }

    @Test("only GET", arguments: ["HEAD", "POST", "PUT", "OPTIONS", "get"])
    func otherMethodsAreSkipped(method: String) {
        #expect(!decide(method))
    }

    @Test("page-carrying statuses", arguments: [200, 201, 203, 400, 401, 403, 404, 410, 500, 502, 503])
    func pageStatuses(status: Int) {
        #expect(decide("GET", status))
    }

    @Test("statuses without a whole page", arguments: [100, 101, 103, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308, 600, 0])
    func nonPageStatuses(status: Int) {
        #expect(!decide("GET", status))
    }

    @Test("HTML media types, any case, any parameters", arguments: [
        "text/html", "TEXT/HTML", "Text/Html; charset=UTF-8", "text/html;charset=utf-8", " text/html ",
        "application/xhtml+xml", "APPLICATION/XHTML+XML; charset=utf-8",
    ])
    func htmlTypes(contentType: String) {
        #expect(decide("GET", 200, ["Content-Type": contentType]))
    }

    @Test("other media types", arguments: [
        "application/json", "text/plain", "text/htmlx", "text/html-sandboxed", "image/svg+xml", "text/css", "",
    ])
    func otherTypes(contentType: String) {
        #expect(!decide("GET", 200, ["Content-Type": contentType]))
    }

    @Test func missingContentTypeIsSkipped() {
        #expect(!decide("GET", 200, HTTPHeaders()))
        #expect(!decide("GET", 200, ["Content-Length": "10"]))
    }

    @Test("encoded bodies", arguments: ["gzip", "br", "deflate", "zstd", "identity, gzip", "GZIP"])
    func encodedBodiesAreSkipped(encoding: String) {
        #expect(!decide("GET", 200, HTTPHeaders([("Content-Type", "text/html"), ("Content-Encoding", encoding)])))
    }

    @Test func identityEncodingIsFine() {
        #expect(decide("GET", 200, HTTPHeaders([("Content-Type", "text/html"), ("Content-Encoding", "identity")])))
        #expect(decide("GET", 200, HTTPHeaders([("Content-Type", "text/html"), ("content-encoding", "Identity")])))
    }

    @Test func alreadyInjectedResponsesAreSkipped() {
        #expect(!decide("GET", 200, HTTPHeaders([("Content-Type", "text/html"), ("X-Reload-Broker-Injected", "1")])))
        #expect(!decide("GET", 200, HTTPHeaders([("x-reload-broker-injected", "1"), ("Content-Type", "text/html")])))
    }
}

@Suite("rewriteHeaders")
struct RewriteHeadersTests {
    func rewritten(_ pairs: [(String, String)]) -> [(String, String)] {
        var headers = HTTPHeaders(pairs)
        InjectionDecision.rewriteHeaders(&headers)
        return headers.map { ($0.0, $0.1) }
    }

    func same(_ lhs: [(String, String)], _ rhs: [(String, String)]) -> Bool {
        lhs.elementsEqual(rhs) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    @Test func lengthAndDigestsGoStrongETagWeakensOrderKept() {
        let result = rewritten([
            ("Date", "Tue, 01 Jul 2025 10:00:00 GMT"),
            ("Content-Type", "text/html"),
            ("Content-Length", "1234"),
            ("ETag", "\"abc\""),
            ("Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
            ("Digest", "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="),
            ("Content-Digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"),
            ("Cache-Control", "no-cache"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ])
        #expect(same(result, [
            ("Date", "Tue, 01 Jul 2025 10:00:00 GMT"),
            ("Content-Type", "text/html"),
            ("ETag", "W/\"abc\""),
            ("Cache-Control", "no-cache"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("X-Reload-Broker-Injected", "1"),
        ]))
    }

    @Test func weakETagIsKept() {
        #expect(same(rewritten([("etag", "W/\"v1\""), ("content-length", "5")]), [
            ("etag", "W/\"v1\""), ("X-Reload-Broker-Injected", "1"),
        ]))
    }

    @Test func headerNamesMatchInAnyCase() {
        #expect(same(rewritten([("CONTENT-LENGTH", "5"), ("Etag", "\"x\""), ("content-md5", "y")]), [
            ("Etag", "W/\"x\""), ("X-Reload-Broker-Injected", "1"),
        ]))
    }

    @Test func rewrittenHeadersAreNotInjectedAgain() {
        var headers: HTTPHeaders = ["Content-Type": "text/html"]
        #expect(InjectionDecision.shouldInject(method: "GET", status: 200, responseHeaders: headers))
        InjectionDecision.rewriteHeaders(&headers)
        #expect(!InjectionDecision.shouldInject(method: "GET", status: 200, responseHeaders: headers))
        #expect(headers.count == 2)
        #expect(headers["x-reload-broker-injected"] == "1")
    }
}
