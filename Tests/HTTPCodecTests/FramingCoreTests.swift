import Testing
@testable import HTTPCodec

/// Decodes `wire` with a fresh ``HTTPBodyDecoder`` fed as `feeding` says: the body and how it ended.
private func decode(
    _ wire: [UInt8], _ framing: HTTPBodyDecoder.Framing, feeding: Feeding = .whole, bodyLimit: Int = .max,
    lineLimit: Int = 1024, inputEnds: Bool = false
) -> (body: [UInt8], ended: Bool, consumed: Int, error: HTTPFramingError?) {
    var decoder = HTTPBodyDecoder(framing)
    var scanner = LineScanner()
    var buffer: [UInt8] = []
    var readIndex = 0
    var body: [UInt8] = []
    let pieces = feeding.pieces(of: wire)
    for (index, piece) in pieces.enumerated() {
        buffer += piece
        let last = index == pieces.count - 1
        do throws(HTTPFramingError) {
            while let step = try decoder.next(
                in: buffer, readIndex: &readIndex, scanner: &scanner, bodyLimit: bodyLimit - body.count,
                lineLimit: lineLimit,
                inputEnded: last && inputEnds)
            {
                switch step {
                case .data(let range):
                    #expect(!range.isEmpty)
                    body += buffer[range]
                case .end:
                    return (body, true, readIndex, nil)
                }
            }
        } catch {
            return (body, false, readIndex, error)
        }
    }
    return (body, false, readIndex, nil)
}

@Suite("Framing core: chunked decoding")
struct ChunkedDecodingTests {
    @Test(arguments: [
        ("0", 0), ("1", 1), ("a", 10), ("A", 10), ("ff", 255), ("00000005", 5),
        ("0000000000000000000000000000000f", 15),  // leading zeros are not digits of overflow
        ("7fffffffffffffff", Int.max), ("5;name=value", 5), ("5 ;x", 5), ("5\t;x", 5), ("5 ", 5),
        ("5;a;b=\"q;\"", 5),
    ])
    func validChunkSizes(_ line: String, _ size: Int) throws {
        #expect(try HTTPBodyDecoder.chunkSize(bytes(line + "\r\n"), 0..<(line.utf8.count + 2)) == size)
    }

    @Test(arguments: [
        ("", "invalid chunk size"), (" 5", "invalid chunk size"), ("-5", "invalid chunk size"),
        ("+5", "invalid chunk size"), ("0x5", "invalid chunk size"), ("5x", "invalid chunk size"),
        ("5 5", "invalid chunk size"), (";ext", "invalid chunk size"),
        ("8000000000000000", "chunk size too large"), ("10000000000000000", "chunk size too large"),
        ("ffffffffffffffffffffffff", "chunk size too large"),
    ])
    func invalidChunkSizes(_ line: String, _ reason: String) {
        #expect(throws: HTTPFramingError.malformed(reason)) {
            try HTTPBodyDecoder.chunkSize(bytes(line + "\r\n"), 0..<(line.utf8.count + 2))
        }
    }

    @Test func extensionsAndTrailersAreSkippedAtEveryCut() {
        let wire = bytes("5;a=1\r\nhello\r\n6;b\r\n world\r\n0;last\r\nX-T: 1\r\nY-T: 2\r\n\r\nNEXT")
        for feeding in Feeding.all(for: wire) {
            let result = decode(wire, .chunked, feeding: feeding)
            #expect(result.error == nil, "\(feeding)")
            #expect(result.body == bytes("hello world"), "\(feeding)")
            #expect(result.ended, "\(feeding)")
            #expect(result.consumed == wire.count - 4, "stops before the next message (\(feeding))")
        }
    }

    @Test(arguments: [
        ("3\nabc\r\n0\r\n\r\n", "bare LF in chunked framing"),
        ("3\r\nabc\n0\r\n\r\n", "missing CRLF after chunk data"),
        ("3\r\nabc\r0\r\n\r\n", "missing CRLF after chunk data"),
        ("3\r\nabcd\r\n0\r\n\r\n", "missing CRLF after chunk data"),
        ("0\n\r\n", "bare LF in chunked framing"),
        ("0\r\n\n", "bare LF in chunked framing"),
        ("0\r\nX: 1\n\r\n", "bare LF in chunked framing"),
        ("0\r\nX: 1\r\n\n", "bare LF in chunked framing"),
        ("3;a\rb\r\nabc\r\n0\r\n\r\n", "bare CR"),
        ("0\r\nX: a\rb\r\n\r\n", "bare CR"),
    ])
    func strictFramingAtEveryCut(_ wire: String, _ reason: String) {
        for feeding in Feeding.all(for: bytes(wire)) {
            #expect(decode(bytes(wire), .chunked, feeding: feeding).error == .malformed(reason), "\(feeding)")
        }
    }

    @Test func aChunkSizeLineIsBounded() {
        let wire = bytes("3;" + String(repeating: "x", count: 100) + "\r\nabc\r\n0\r\n\r\n")
        for feeding in [Feeding.whole, .chunks(of: 1), .chunks(of: 7)] {
            #expect(decode(wire, .chunked, feeding: feeding, lineLimit: 64).error == .chunkLineTooLong)
            #expect(decode(wire, .chunked, feeding: feeding, lineLimit: 128).body == bytes("abc"))
        }
    }

    @Test func aTrailerSectionIsBounded() {
        let wire = bytes("0\r\nX: " + String(repeating: "y", count: 100) + "\r\n\r\n")
        for feeding in [Feeding.whole, .chunks(of: 1)] {
            #expect(decode(wire, .chunked, feeding: feeding, lineLimit: 64).error == .sectionTooLong)
            #expect(decode(wire, .chunked, feeding: feeding, lineLimit: 128).ended)
        }
    }

    @Test func aChunkOverTheBodyLimitFailsBeforeItsData() {
        let result = decode(bytes("5\r\nhello\r\n6\r\n"), .chunked, bodyLimit: 10)
        #expect(result.error == .bodyTooLarge)
        #expect(result.body == bytes("hello"))
        #expect(decode(bytes("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), .chunked, bodyLimit: 10).ended)
    }

    @Test func runningOutOfInputIsTruncatedUnlessCloseDelimited() {
        for wire in ["", "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "0\r\n", "0\r\nX: 1\r\n"] {
            #expect(decode(bytes(wire), .chunked, inputEnds: true).error == .truncated, "\(wire)")
            #expect(decode(bytes(wire), .chunked).error == nil, "\(wire): more may come")
        }
        #expect(decode(bytes("abc"), .length(5), inputEnds: true).error == .truncated)
        let close = decode(bytes("abc"), .untilClose, inputEnds: true)
        #expect(close.body == bytes("abc") && close.ended)
        #expect(!decode(bytes("abc"), .untilClose).ended)
    }

    @Test func contentLengthBodiesStopAtTheirLength() {
        for feeding in Feeding.all(for: bytes("hello world")) {
            let result = decode(bytes("hello world"), .length(5), feeding: feeding)
            #expect(result.body == bytes("hello") && result.ended && result.consumed == 5, "\(feeding)")
        }
        #expect(decode([], .length(0)).ended)
    }

    @Test func chunkedWriterOutputDecodes() {
        let pieces = [bytes("a"), [UInt8](repeating: 0x41, count: 4096), [], bytes("\r\n0\r\n\r\n")]
        let wire = pieces.flatMap(HTTPChunkedWriter.chunk) + HTTPChunkedWriter.lastChunk
        let result = decode(wire, .chunked, feeding: .chunks(of: 3))
        #expect(result.error == nil)
        #expect(result.ended && result.consumed == wire.count)
        #expect(result.body == pieces.flatMap { $0 })
    }
}

@Suite("Framing core: Content-Length and Transfer-Encoding")
struct MessageFramingTests {
    @Test(arguments: [
        (["42"], 42), (["0"], 0), (["007"], 7), (["42, 42"], 42), (["42", "42"], 42), (["42 , 42,42"], 42),
        (["9223372036854775807"], Int.max), (["0000000000000000000000000001"], 1),
    ])
    func validContentLengths(_ values: [String], _ length: Int) throws {
        #expect(try HTTPMessageFraming.contentLength(values) == length)
    }

    @Test(arguments: [
        ([""], HTTPFramingError.malformed("invalid Content-Length")),
        (["+1"], .malformed("invalid Content-Length")), (["-1"], .malformed("invalid Content-Length")),
        (["1,"], .malformed("invalid Content-Length")), ([",1"], .malformed("invalid Content-Length")),
        (["1 2"], .malformed("invalid Content-Length")), (["0x10"], .malformed("invalid Content-Length")),
        (["1e3"], .malformed("invalid Content-Length")), (["١"], .malformed("invalid Content-Length")),
        (["42, 43"], .malformed("conflicting Content-Length values")),
        (["42", "043"], .malformed("conflicting Content-Length values")),
        (["9223372036854775808"], .contentLengthTooLarge),
        (["99999999999999999999999"], .contentLengthTooLarge),
        // Precedence: an invalid element, then disagreement, then overflow.
        (["99999999999999999999999", "x"], .malformed("invalid Content-Length")),
        (["99999999999999999999999", "1"], .malformed("conflicting Content-Length values")),
    ])
    func invalidContentLengths(_ values: [String], _ error: HTTPFramingError) {
        #expect(throws: error) { try HTTPMessageFraming.contentLength(values) }
    }

    @Test func transferCodingLists() {
        let chunked = HTTPMessageFraming.transferCodings(["gzip, Chunked", " , "])
        #expect(chunked.chunked == 1 && chunked.others == 1 && chunked.lastIsChunked)
        let gzipLast = HTTPMessageFraming.transferCodings(["chunked", "gzip"])
        #expect(!gzipLast.lastIsChunked && gzipLast.others == 1)
        #expect(!HTTPMessageFraming.transferCodings(["chun\u{212A}ed"]).lastIsChunked, "ASCII case folding only")
        #expect(HTTPMessageFraming.transferCodings([",,"]) == (0, 0, false))
    }

    @Test func requestAndResponseReadContentLengthAlike() throws {
        for values in [["7"], ["7, 7"], ["07", "7"]] {
            var request = RequestHead(method: "POST", target: "/", headers: ["Host": "a"])
            var response = ResponseHead(status: .ok)
            for value in values {
                request.headers.add("Content-Length", value)
                response.headers.add("Content-Length", value)
            }
            #expect(try HTTPMessageFraming.request(request) == .length(7))
            #expect(try HTTPMessageFraming.response(response, requestMethod: "GET") == .length(7))
        }
    }
}

@Suite("Framing core: both parsers agree")
struct ParserAgreementTests {
    /// Chunked body wire forms and what both parsers make of them (nil: refused).
    static let wires: [(String, String?)] = [
        ("5\r\nhello\r\n0\r\n\r\n", "hello"),
        ("5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n", "hello"),
        ("0005 \r\nhello\r\n000\r\n\r\n", "hello"),
        ("5\r\nhello\n0\r\n\r\n", nil),  // accepted by the response parser before the framing core
        ("5\nhello\r\n0\r\n\r\n", nil),
        ("5\r\nhello\r\n0\r\n\n", nil),
        ("5\r\nhello\r\n0\r\nT: 1\n\r\n", nil),
        ("5\r\nhello\r\u{0}0\r\n\r\n", nil),
        ("zz\r\n", nil),
        ("fffffffffffffffff\r\n", nil),
    ]

    @Test(arguments: 0..<wires.count)
    func chunkedBodies(_ index: Int) {
        let (wire, expected) = Self.wires[index]
        let request = bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + wire)
        let response = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + wire)
        for feeding in [Feeding.whole, .chunks(of: 1)] {
            let requestOutcome = parseRequests(request, feeding: feeding)
            var parser = HTTPResponseParser()
            var responseBody: [UInt8] = []
            var responseEnded = false
            var responseFailed = false
            for piece in feeding.pieces(of: response) {
                parser.append(piece)
                do {
                    while let event = try parser.nextEvent() {
                        if case .body(let piece) = event { responseBody += piece }
                        if event == .end { responseEnded = true }
                    }
                } catch {
                    responseFailed = true
                }
            }
            if let expected {
                #expect(requestOutcome.values.map(\.body) == [bytes(expected)], "\(feeding)")
                #expect(responseEnded && responseBody == bytes(expected), "\(feeding)")
            } else {
                #expect(requestOutcome.error != nil, "\(feeding)")
                #expect(responseFailed, "\(feeding)")
            }
        }
    }
}
