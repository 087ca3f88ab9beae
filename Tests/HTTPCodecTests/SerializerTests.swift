import Testing
@testable import HTTPCodec

@Suite("Request serializer, chunked writer, URL and ASCII helpers")
struct SerializerTests {
    @Test func requestHeadIsExact() {
        let head = RequestHead(
            method: "POST", target: "/__reload/trigger?x=1",
            headers: ["Host": "127.0.0.1:35729", "Content-Length": "2", "X-Empty": ""])
        #expect(
            String(decoding: head.serialized(), as: UTF8.self)
                == "POST /__reload/trigger?x=1 HTTP/1.1\r\nHost: 127.0.0.1:35729\r\nContent-Length: 2\r\nX-Empty: \r\n\r\n")
        let old = RequestHead(method: "GET", target: "/", version: .http1_0)
        #expect(old.serialized() == bytes("GET / HTTP/1.0\r\n\r\n"))
    }

    @Test func requestHeadCannotBeSplit() {
        let head = RequestHead(
            method: "GET", target: "/a\r\nX-Evil: 1", headers: ["Host": "a\r\nX-Evil: 2", "X\nY": "v\u{0}w"])
        let text = String(decoding: head.serialized(), as: UTF8.self)
        #expect(text == "GET /a  X-Evil: 1 HTTP/1.1\r\nHost: a  X-Evil: 2\r\nX Y: v w\r\n\r\n")
    }

    @Test func requestHeadRoundTripsThroughTheParser() throws {
        let head = RequestHead(
            method: "PUT", target: "/p?q", headers: ["Host": "h", "Transfer-Encoding": "chunked", "A": "b, c"])
        var parser = HTTPRequestParser()
        parser.append(head.serialized() + HTTPChunkedWriter.chunk(bytes("body")) + HTTPChunkedWriter.lastChunk)
        let request = try #require(try parser.nextRequest())
        #expect(request.head == head)
        #expect(request.body == bytes("body"))
    }

    @Test func chunkedWriterFraming() {
        #expect(HTTPChunkedWriter.chunk(bytes("hello")) == bytes("5\r\nhello\r\n"))
        #expect(HTTPChunkedWriter.chunk([UInt8](repeating: 0, count: 300)).prefix(5) == bytes("12c\r\n")[...])
        #expect(HTTPChunkedWriter.chunk([]) == [], "an empty chunk would end the body")
        #expect(HTTPChunkedWriter.lastChunk == bytes("0\r\n\r\n"))
    }

    @Test(arguments: [
        ("http://127.0.0.1:35729/__reload", "127.0.0.1", 35729, "/__reload", "127.0.0.1:35729"),
        ("http://localhost", "localhost", 80, "", "localhost"),
        ("http://h:8080///", "h", 8080, "", "h:8080"),
        ("http://[::1]:4000/a/b/", "::1", 4000, "/a/b", "[::1]:4000"),
        ("http://[::1]", "::1", 80, "", "[::1]"),
    ])
    func validURLs(_ text: String, _ host: String, _ port: Int, _ path: String, _ authority: String) throws {
        let url = try #require(HTTPURL(text))
        #expect(url.host == host && url.port == port && url.path == path && url.authority == authority)
    }

    @Test(arguments: [
        "https://h", "h:80", "http://", "http://:80", "http://h:0", "http://h:65536", "http://h:x", "http://h:",
        "http://a:1:2", "http://[::1", "http://[::1]80", "ftp://h",
    ])
    func invalidURLs(_ text: String) {
        #expect(HTTPURL(text) == nil)
    }

    @Test func percentDecoding() {
        #expect(PercentEncoding.decode("a%20b%2Fc%2f+") == bytes("a b/c/+"))
        #expect(PercentEncoding.decode("%e2%9c%93") == [0xE2, 0x9C, 0x93])
        for bad in ["%", "%2", "%zz", "%+f", "a%2"] { #expect(PercentEncoding.decode(bad) == nil, "\(bad)") }
        #expect(PercentEncoding.decodeFormValue("a+b%20c%zz%") == "a b c%zz%")
        #expect(PercentEncoding.decodeFormValue("%ff") == "\u{FFFD}")
    }

    @Test func asciiHelpers() {
        #expect(" \t a b \t".trimmingASCIIWhitespace() == "a b")
        #expect("\u{A0}a\r\n".trimmingASCIIWhitespace() == "\u{A0}a\r\n", "only SP and HTAB")
        #expect("Chunked-ÄK\u{212A}".asciiLowercased() == "chunked-Äk\u{212A}", "only ASCII capitals")
        #expect("Content-Length".equalsIgnoringASCIICase("content-LENGTH"))
        #expect(!"chun\u{212A}ed".equalsIgnoringASCIICase("chunked"))
        #expect("Bearer abc".hasPrefixIgnoringASCIICase("bearer "))
        #expect(!"Bear".hasPrefixIgnoringASCIICase("bearer "))
        #expect(ASCII.trimmingWhitespace(bytes("  x ")[...]) == bytes("x")[...])
        #expect(ASCII.equalsIgnoringCase(bytes("TEXT/html"), "text/HTML"))
    }
}
