import Testing
@testable import HTTPCodec

/// One parsed response: head, body collected, and whether `.end` was seen.
private struct Parsed: Equatable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var ended: Bool
}

/// Feeds `input` in `feeding`'s pieces, draining events after each; `atEnd` signals EOF last.
private func parse(
    _ input: [UInt8], feeding: Feeding = .whole, methods: [String] = [], atEnd: Bool = false
) throws(HTTPResponseParseError) -> [Parsed] {
    var parser = HTTPResponseParser()
    var methods = methods[...]
    parser.requestMethod = methods.popFirst() ?? "GET"
    var results: [Parsed] = []
    func drain() throws(HTTPResponseParseError) {
        while let event = try parser.nextEvent() {
            switch event {
            case .head(let head):
                results.append(Parsed(status: head.status.code, headers: head.headers, body: [], ended: false))
            case .body(let piece):
                #expect(!piece.isEmpty)
                results[results.count - 1].body += piece
            case .end:
                results[results.count - 1].ended = true
                if results[results.count - 1].status >= 200 { parser.requestMethod = methods.popFirst() ?? "GET" }
            }
        }
    }
    for piece in feeding.pieces(of: input) {
        parser.append(piece)
        try drain()
    }
    if atEnd {
        parser.finishInput()
        try drain()
    }
    return results
}

@Suite("HTTPResponseParser")
struct ResponseParserTests {
    static let lengthResponse = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nhello world")
    static let chunkedResponse = bytes(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    static let closeResponse = bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")

    @Test(arguments: Feeding.all(for: lengthResponse))
    func contentLengthAtEverySplit(_ feeding: Feeding) throws {
        let results = try parse(Self.lengthResponse + Self.lengthResponse, feeding: feeding)
        #expect(results.count == 2)
        for result in results {
            #expect(result.status == 200)
            #expect(result.headers["Content-Type"] == "text/html")
            #expect(result.body == bytes("hello world"))
            #expect(result.ended)
        }
    }

    @Test(arguments: Feeding.all(for: chunkedResponse))
    func chunkedAtEverySplit(_ feeding: Feeding) throws {
        let results = try parse(Self.chunkedResponse + Self.lengthResponse, feeding: feeding)
        #expect(results.count == 2)
        #expect(results[0].body == bytes("hello world"))
        #expect(results[0].ended)
        #expect(results[1].body == bytes("hello world"))
    }

    @Test(arguments: Feeding.all(for: closeResponse))
    func closeDelimitedAtEverySplit(_ feeding: Feeding) throws {
        let open = try parse(Self.closeResponse, feeding: feeding)
        #expect(open.count == 1)
        #expect(open[0].ended == false)
        let closed = try parse(Self.closeResponse, feeding: feeding, atEnd: true)
        #expect(closed[0].body == bytes("until the end"))
        #expect(closed[0].ended)
    }

    @Test func bareLFLineEndings() throws {
        let results = try parse(bytes("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"))
        #expect(results == [Parsed(status: 200, headers: ["Content-Length": "2"], body: bytes("ok"), ended: true)])
    }

    @Test func interimResponsesComeFirst() throws {
        let input = bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n")
            + Self.lengthResponse
        let results = try parse(input, feeding: .chunks(of: 3))
        #expect(results.map { $0.status } == [100, 103, 200])
        #expect(results[2].body == bytes("hello world"))
    }

    @Test func noBodyFor204And304AndHEAD() throws {
        let input = bytes("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
            + bytes("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n")
            + bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
            + Self.lengthResponse
        let results = try parse(input, feeding: .chunks(of: 5), methods: ["GET", "GET", "HEAD", "GET"])
        #expect(results.map { $0.status } == [204, 304, 200, 200])
        #expect(results[0].body.isEmpty && results[1].body.isEmpty && results[2].body.isEmpty)
        #expect(results.allSatisfy { $0.ended })
        #expect(results[3].body == bytes("hello world"))
    }

    @Test func switchingProtocolsLeavesTheRestUnparsed() throws {
        var parser = HTTPResponseParser()
        parser.append(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") + [0x81, 0x02] + bytes("hi"))
        guard case .head(let head) = try parser.nextEvent() else { Issue.record("no head"); return }
        #expect(head.status.code == 101)
        #expect(try parser.nextEvent() == nil)
        #expect(parser.takeBufferedBytes() == [0x81, 0x02] + bytes("hi"))
    }

    @Test func transferEncodingWinsOverContentLengthAndOtherCodingsReadUntilClose() throws {
        let head = ResponseHead(status: .ok, headers: ["Transfer-Encoding": "gzip, chunked", "Content-Length": "3"])
        #expect(try HTTPResponseParser.framing(of: head, requestMethod: "GET") == .chunked)
        let gzip = ResponseHead(status: .ok, headers: ["Transfer-Encoding": "gzip"])
        #expect(try HTTPResponseParser.framing(of: gzip, requestMethod: "GET") == .untilClose)
        let repeated = ResponseHead(status: .ok, headers: ["Content-Length": "7, 7"])
        #expect(try HTTPResponseParser.framing(of: repeated, requestMethod: "GET") == .length(7))
    }

    /// Found by FuzzHTTPResponse: an empty list element after `chunked` (`chunked, `, or a second
    /// field of only commas) made the body close-delimited; empty elements are ignored (RFC 9110 §5.6.1).
    @Test func emptyTransferCodingElementsAreIgnored() throws {
        let trailing = ResponseHead(status: .ok, headers: ["Transfer-Encoding": "chunked, "])
        #expect(try HTTPResponseParser.framing(of: trailing, requestMethod: "GET") == .chunked)
        let second = ResponseHead(status: .ok, headers: ["Transfer-Encoding": "gzip, chunked", "Transfer-Encoding": " , ,"])
        #expect(try HTTPResponseParser.framing(of: second, requestMethod: "GET") == .chunked)
        let gzip = ResponseHead(status: .ok, headers: ["Transfer-Encoding": "chunked, gzip,"])
        #expect(try HTTPResponseParser.framing(of: gzip, requestMethod: "GET") == .untilClose)
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\rX: y\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
        "garbage\r\n\r\n",
    ])
    func badInputIsAnError(_ text: String) {
        #expect(throws: HTTPResponseParseError.self) { _ = try parse(bytes(text)) }
    }

    /// Found by FuzzHTTPResponse: a NUL in the reason phrase was accepted, and since the writer
    /// turns NUL into SP the head relayed differed from the head parsed. RFC 9112 §4 allows only
    /// HTAB, SP, VCHAR and obs-text there, like field values.
    @Test(arguments: ["HTTP/1.1 204 No\u{0}Content\r\n\r\n", "HTTP/1.1 200 O\u{4}K\r\n\r\n", "HTTP/1.1 200 OK\u{7F}\r\n\r\n"])
    func controlCharactersInTheReasonAreAnError(_ text: String) {
        #expect(throws: HTTPResponseParseError.self) { _ = try parse(bytes(text)) }
        #expect(throws: HTTPResponseParseError.self) { _ = try parse(bytes(text), feeding: .chunks(of: 1)) }
    }

    @Test func errorsAreSticky() {
        var parser = HTTPResponseParser()
        parser.append(bytes("nonsense\r\n\r\n"))
        #expect(throws: HTTPResponseParseError.self) { _ = try parser.nextEvent() }
        parser.append(Self.lengthResponse)
        #expect(throws: HTTPResponseParseError.self) { _ = try parser.nextEvent() }
    }

    @Test func aCutShortResponseIsTruncated() {
        for text in [
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            "HTTP/1.1 200 OK\r\nContent-",
        ] {
            #expect(throws: HTTPResponseParseError.truncated) { _ = try parse(bytes(text), atEnd: true) }
        }
    }

    @Test func anEndlessHeadIsTooLarge() {
        var parser = HTTPResponseParser(maxHeadBytes: 100)
        parser.append(bytes("HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: b\r\n", count: 20)))
        #expect(throws: HTTPResponseParseError.headTooLarge) { _ = try parser.nextEvent() }
    }

    /// Found by FuzzHTTPResponse: a head (or chunk-size line, or trailer section) longer than
    /// `maxHeadBytes` was refused when it came in pieces but accepted when it came in one read.
    @Test func anOversizedHeadIsTooLargeEvenInOneRead() {
        let head = bytes("HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: b\r\n", count: 20) + "Content-Length: 0\r\n\r\n")
        let chunkLine = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 120) + "\r\nx\r\n0\r\n\r\n")
        for input in [head, chunkLine] {
            for feeding in [Feeding.whole, .chunks(of: 7)] {
                var parser = HTTPResponseParser(maxHeadBytes: 100)
                #expect(throws: HTTPResponseParseError.headTooLarge) {
                    for piece in feeding.pieces(of: input) {
                        parser.append(piece)
                        while try parser.nextEvent() != nil {}
                    }
                }
            }
        }
    }

    @Test func aLargeBodyIsNotBuffered() throws {
        var parser = HTTPResponseParser()
        parser.append(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"))
        _ = try parser.nextEvent()
        var total = 0
        var ended = false
        for _ in 0..<100 {
            parser.append([UInt8](repeating: 7, count: 10_000))
            while let event = try parser.nextEvent() {
                if case .body(let piece) = event { total += piece.count } else { ended = event == .end }
            }
        }
        #expect(total == 1_000_000)
        #expect(ended)
        #expect(!parser.isMidResponse)
    }
}
