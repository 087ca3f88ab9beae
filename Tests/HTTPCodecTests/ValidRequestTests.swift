import Testing
@testable import HTTPCodec

/// A valid byte stream and the requests it must parse into.
struct ValidExample: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var expected: [HTTPRequest]
    var testDescription: String { name }
}

let chromeHead = """
    GET /assets/app.js?v=12 HTTP/1.1\r
    Host: localhost:35729\r
    Connection: keep-alive\r
    sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"\r
    sec-ch-ua-mobile: ?0\r
    User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r
    sec-ch-ua-platform: "Linux"\r
    Accept: */*\r
    Sec-Fetch-Site: same-origin\r
    Sec-Fetch-Mode: no-cors\r
    Sec-Fetch-Dest: script\r
    Referer: http://localhost:35729/index.html\r
    Accept-Encoding: gzip, deflate, br, zstd\r
    Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r
    If-None-Match: W/"1a2b-3c4d"\r
    Cookie: session=abc123; theme=dark\r
    \r

    """

let validExamples: [ValidExample] = [
    ValidExample(
        name: "minimal GET",
        input: bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        expected: [HTTPRequest(head: RequestHead(method: "GET", target: "/", headers: ["Host": "a"]))]
    ),
    ValidExample(
        name: "Chrome-like GET",
        input: bytes(chromeHead),
        expected: [
            HTTPRequest(
                head: RequestHead(
                    method: "GET", target: "/assets/app.js?v=12",
                    headers: HTTPHeaders([
                        ("Host", "localhost:35729"),
                        ("Connection", "keep-alive"),
                        ("sec-ch-ua", #""Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99""#),
                        ("sec-ch-ua-mobile", "?0"),
                        (
                            "User-Agent",
                            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
                        ),
                        ("sec-ch-ua-platform", #""Linux""#),
                        ("Accept", "*/*"),
                        ("Sec-Fetch-Site", "same-origin"),
                        ("Sec-Fetch-Mode", "no-cors"),
                        ("Sec-Fetch-Dest", "script"),
                        ("Referer", "http://localhost:35729/index.html"),
                        ("Accept-Encoding", "gzip, deflate, br, zstd"),
                        ("Accept-Language", "en-GB,en-US;q=0.9,en;q=0.8"),
                        ("If-None-Match", #"W/"1a2b-3c4d""#),
                        ("Cookie", "session=abc123; theme=dark"),
                    ])))
        ]
    ),
    ValidExample(
        name: "POST with Content-Length",
        input: bytes("POST /reload HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"),
        expected: [
            HTTPRequest(
                head: RequestHead(
                    method: "POST", target: "/reload", headers: ["Host": "h", "Content-Length": "11"]),
                body: bytes("hello world"))
        ]
    ),
    ValidExample(
        name: "Content-Length 0",
        input: bytes("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"),
        expected: [
            HTTPRequest(head: RequestHead(method: "PUT", target: "/x", headers: ["Host": "h", "Content-Length": "0"]))
        ]
    ),
    ValidExample(
        name: "chunked with extensions and trailers",
        input: bytes(
            "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n"
                + "1 ; a=b\r\n,\r\n"
                + "00A\r\n world!!!!\r\n"
                + "0\r\nX-Trailer: t\r\nY: u\r\n\r\n"),
        expected: [
            HTTPRequest(
                head: RequestHead(
                    method: "POST", target: "/c", headers: ["Host": "h", "Transfer-Encoding": "chunked"]),
                body: bytes("hello, world!!!!"))
        ]
    ),
    ValidExample(
        name: "chunked, case-insensitive coding, uppercase hex, bare LF head",
        input: bytes("POST /c HTTP/1.1\nHost: h\ntransfer-encoding: Chunked\n\nB\r\nhello world\r\n0\r\n\r\n"),
        expected: [
            HTTPRequest(
                head: RequestHead(
                    method: "POST", target: "/c", headers: ["Host": "h", "transfer-encoding": "Chunked"]),
                body: bytes("hello world"))
        ]
    ),
    ValidExample(
        name: "HTTP/1.0 without Host",
        input: bytes("GET /old HTTP/1.0\r\n\r\n"),
        expected: [HTTPRequest(head: RequestHead(method: "GET", target: "/old", version: .http1_0))]
    ),
    ValidExample(
        name: "HTTP/1.2 is read as 1.1",
        input: bytes("GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
        expected: [HTTPRequest(head: RequestHead(method: "GET", target: "/", headers: ["Host": "a"]))]
    ),
    ValidExample(
        name: "bare LF line endings",
        input: bytes("GET /lf HTTP/1.1\nHost: a\nX: y\n\n"),
        expected: [HTTPRequest(head: RequestHead(method: "GET", target: "/lf", headers: ["Host": "a", "X": "y"]))]
    ),
    ValidExample(
        name: "leading empty lines are ignored",
        input: bytes("\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        expected: [HTTPRequest(head: RequestHead(method: "GET", target: "/", headers: ["Host": "a"]))]
    ),
    ValidExample(
        name: "OWS trimmed, empty value, tabs inside kept",
        input: bytes("GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Sp: \t v1 \t v2\t \r\nX-Blank:   \r\n\r\n"),
        expected: [
            HTTPRequest(
                head: RequestHead(
                    method: "GET", target: "/",
                    headers: HTTPHeaders([("Host", "a"), ("X-Empty", ""), ("X-Sp", "v1 \t v2"), ("X-Blank", "")])))
        ]
    ),
    ValidExample(
        name: "identical duplicate Content-Length values",
        input: bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc"),
        expected: [
            HTTPRequest(
                head: RequestHead(
                    method: "POST", target: "/",
                    headers: HTTPHeaders([("Host", "a"), ("Content-Length", "3, 3"), ("content-length", "3")])),
                body: bytes("abc"))
        ]
    ),
    ValidExample(
        name: "other target forms and methods",
        input: bytes(
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n"
                + "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"
                + "M-SEARCH /%20x HTTP/1.1\r\nHost: a\r\n\r\n"),
        expected: [
            HTTPRequest(head: RequestHead(method: "OPTIONS", target: "*", headers: ["Host": "a"])),
            HTTPRequest(head: RequestHead(method: "GET", target: "http://a/b?c", headers: ["Host": "a"])),
            HTTPRequest(head: RequestHead(method: "CONNECT", target: "a:443", headers: ["Host": "a:443"])),
            HTTPRequest(head: RequestHead(method: "M-SEARCH", target: "/%20x", headers: ["Host": "a"])),
        ]
    ),
    ValidExample(
        name: "UTF-8 obs-text in a value",
        input: bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Name: café\r\n\r\n"),
        expected: [
            HTTPRequest(head: RequestHead(method: "GET", target: "/", headers: ["Host": "a", "X-Name": "café"]))
        ]
    ),
    ValidExample(
        name: "pipelined GET, POST, chunked POST, HTTP/1.0",
        input: bytes(
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"
                + "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
                + "\r\nGET /4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        expected: [
            HTTPRequest(head: RequestHead(method: "GET", target: "/1", headers: ["Host": "a"])),
            HTTPRequest(
                head: RequestHead(method: "POST", target: "/2", headers: ["Host": "a", "Content-Length": "4"]),
                body: bytes("abcd")),
            HTTPRequest(
                head: RequestHead(
                    method: "POST", target: "/3", headers: ["Host": "a", "Transfer-Encoding": "chunked"]),
                body: bytes("xy")),
            HTTPRequest(
                head: RequestHead(
                    method: "GET", target: "/4", version: .http1_0, headers: ["Connection": "keep-alive"])),
        ]
    ),
]

@Suite("Valid requests")
struct ValidRequestTests {
    @Test("nextRequest: same result however the bytes are cut", arguments: validExamples)
    func requestsAtEveryBoundary(example: ValidExample) {
        for feeding in Feeding.all(for: example.input) {
            let outcome = parseRequests(example.input, feeding: feeding)
            #expect(outcome == Outcome(values: example.expected, error: nil), "\(feeding)")
        }
    }

    @Test("nextEvent: same events however the bytes are cut", arguments: validExamples)
    func eventsAtEveryBoundary(example: ValidExample) {
        let expected = expectedEvents(example.expected)
        for feeding in Feeding.all(for: example.input) {
            let result = parseEvents(example.input, feeding: feeding)
            #expect(result.error == nil, "\(feeding)")
            #expect(result.events == expected, "\(feeding)")
        }
    }

    @Test("append(Span) behaves like append(Array)", arguments: validExamples)
    func spanAppend(example: ValidExample) {
        let expected = expectedEvents(example.expected)
        for feeding in [Feeding.whole, .chunks(of: 1), .chunks(of: 5), .random(seed: 9)] {
            let result = parseEvents(example.input, feeding: feeding, useSpan: true)
            #expect(result.error == nil)
            #expect(result.events == expected, "\(feeding)")
        }
    }

    @Test func chromeHeadParsesWithinDefaultLimits() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes(chromeHead))
        let request = try #require(try parser.nextRequest())
        #expect(request.head.headers.count == 15)
        #expect(request.head.path == "/assets/app.js")
        #expect(request.head.query == "v=12")
        #expect(request.head.keepAlive)
        #expect(try parser.nextRequest() == nil)
    }

    @Test func limitsAreInclusive() {
        // A head of exactly maxHeadBytes and exactly maxHeaderCount fields is accepted.
        let head = bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n")
        let limits = HTTPLimits(maxHeadBytes: head.count, maxBodyBytes: 4, maxHeaderCount: 3)
        for feeding in Feeding.all(for: head) {
            #expect(parseRequests(head, feeding: feeding, limits: limits).values.count == 1, "\(feeding)")
        }
        let post = bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd")
        let bodyLimit = HTTPLimits(maxBodyBytes: 4)
        #expect(parseRequests(post, limits: bodyLimit).values.first?.body == bytes("abcd"))
        let chunked = bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n")
        #expect(parseRequests(chunked, limits: bodyLimit).values.first?.body == bytes("abcd"))
    }

    @Test func unlimitedLimitsDoNotOverflow() {
        let limits = HTTPLimits(maxHeadBytes: .max, maxBodyBytes: .max, maxHeaderCount: .max)
        for example in validExamples {
            #expect(parseRequests(example.input, feeding: .chunks(of: 3), limits: limits).values == example.expected)
        }
    }

    @Test func streamingModeDoesNotApplyBodyLimit() {
        let limits = HTTPLimits(maxBodyBytes: 4)
        let input = bytes(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n0\r\n\r\n"
                + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabcdef")
        let result = parseEvents(input, feeding: .chunks(of: 3), limits: limits)
        #expect(result.error == nil)
        #expect(result.events.count == 6)
        #expect(result.events[1] == .body(bytes("12345678")))
        #expect(result.events[4] == .body(bytes("abcdef")))
    }
}
