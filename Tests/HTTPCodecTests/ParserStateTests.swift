import Testing
@testable import HTTPCodec

@Suite("Parser state, buffering and chunked decoding")
struct ParserStateTests {
    /// Chunked bodies with awkward shapes, decoded identically at every cut.
    static let chunkedBodies: [(wire: String, body: String)] = [
        ("0\r\n\r\n", ""),
        ("1\r\na\r\n0\r\n\r\n", "a"),
        ("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", "abcdef"),
        ("000003\r\n\r\n\r\r\n0\r\n\r\n", "\r\n\r"),  // data that looks like framing
        ("a;ext=\"q\";x\r\n0123456789\r\n0;last\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n", "0123456789"),
        ("F\r\nfifteen bytes!!\r\n0\r\n\r\n", "fifteen bytes!!"),
        ("2 \t;e\r\nhi\r\n0\r\n\r\n", "hi"),
    ]

    @Test("chunked decoding at every byte boundary", arguments: 0..<chunkedBodies.count)
    func chunkedDecoding(index: Int) {
        let (wire, body) = Self.chunkedBodies[index]
        let input = bytes("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + wire + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        for feeding in Feeding.all(for: input) {
            let outcome = parseRequests(input, feeding: feeding)
            #expect(outcome.error == nil, "\(feeding)")
            #expect(outcome.values.map(\.body) == [bytes(body), []], "\(feeding)")
            #expect(outcome.values.map(\.head.target) == ["/u", "/next"], "\(feeding)")
        }
    }

    @Test func bodyEventsArriveAsBytesDo() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab"))
        guard case .head(let head) = try parser.nextEvent() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.method == "POST")
        #expect(try parser.nextEvent() == .body(bytes("ab")))
        #expect(try parser.nextEvent() == nil)
        #expect(parser.isMidRequest)
        parser.append(bytes("cdef"))
        #expect(try parser.nextEvent() == .body(bytes("cdef")))
        #expect(try parser.nextEvent() == .end)
        #expect(try parser.nextEvent() == nil)
        #expect(!parser.isMidRequest)
    }

    @Test func isMidRequestTracksTheRequestLifecycle() throws {
        var parser = HTTPRequestParser()
        #expect(!parser.isMidRequest)
        parser.append(bytes("GET / HT"))
        #expect(try parser.nextRequest() == nil)
        #expect(parser.isMidRequest)
        parser.append(bytes("TP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"))
        #expect(try parser.nextRequest() == nil)
        #expect(parser.isMidRequest, "head parsed, body outstanding")
        parser.append(bytes("xy"))
        #expect(try parser.nextRequest()?.body == bytes("xy"))
        #expect(!parser.isMidRequest)

        // Between .head and .end of a body-less request, it is still mid-request.
        parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(try parser.nextEvent() != nil)
        #expect(parser.isMidRequest)
        #expect(try parser.nextEvent() == .end)
        #expect(!parser.isMidRequest)
    }

    @Test func idleParserHoldsNoBuffer() throws {
        var parser = HTTPRequestParser()
        let one = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        parser.append(one + one)
        #expect(try parser.nextRequest() != nil)
        #expect(parser.buffer.capacity > 0, "the second request is still buffered")
        #expect(try parser.nextRequest() != nil)
        #expect(parser.buffer.capacity == 0)
        #expect(try parser.nextRequest() == nil)

        // Also when fed byte by byte, and in event mode, and after a body.
        for byte in bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc") {
            parser.append([byte])
            while try parser.nextEvent() != nil {}
        }
        #expect(parser.buffer.capacity == 0)
        #expect(!parser.isMidRequest)

        // Leading empty lines alone are consumed and dropped too.
        parser.append(bytes("\r\n\r\n"))
        #expect(try parser.nextRequest() == nil)
        #expect(parser.buffer.capacity == 0)
    }

    @Test func oneByteFeedingNeverRescans() throws {
        // The scan offset must follow the buffer end: each byte is examined once.
        var parser = HTTPRequestParser()
        let head = bytes(chromeHead)
        for byte in head.dropLast() {
            parser.append([byte])
            #expect(try parser.nextEvent() == nil)
            // A trailing CR is left for the next byte to decide (bare CR or CRLF).
            let expectedScan = parser.buffer.last == 0x0D ? parser.buffer.count - 1 : parser.buffer.count
            #expect(parser.scanIndex == expectedScan)
            #expect(parser.readIndex == 0)
        }
        parser.append([head.last!])
        guard case .head(let parsed) = try parser.nextEvent() else {
            Issue.record("expected a head")
            return
        }
        #expect(parsed.headers.count == 15)
        #if DEBUG
        // Each byte examined once, plus once more for each CR left pending at a buffer end.
        #expect(parser.scannedByteCount <= head.count + head.count(where: { $0 == 0x0D }))
        #endif
    }

    @Test func largeStreamByteByByteIsLinear() throws {
        // 2000 pipelined requests fed one byte at a time; consumed bytes are compacted away
        // so the buffer never grows beyond one request.
        let one = bytes("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        var parser = HTTPRequestParser()
        var count = 0
        var maxBuffered = 0
        for _ in 0..<2000 {
            for byte in one {
                parser.append([byte])
                while let request = try parser.nextRequest() {
                    #expect(request.body == bytes("hello"))
                    count += 1
                }
                maxBuffered = max(maxBuffered, parser.buffer.count)
            }
        }
        #expect(count == 2000)
        #expect(maxBuffered <= one.count)
    }

    @Test func takeBufferedBytesAfterUpgrade() throws {
        let upgrade = bytes(
            "GET /livereload HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]

        var parser = HTTPRequestParser()
        parser.append(upgrade + frame)
        let request = try #require(try parser.nextRequest())
        #expect(request.head.headers.containsToken("upgrade", in: "connection"))
        #expect(parser.takeBufferedBytes() == frame)
        #expect(parser.takeBufferedBytes() == [])
        #expect(parser.buffer.capacity == 0)

        var events = HTTPRequestParser()
        events.append(upgrade + frame)
        #expect(try events.nextEvent() != nil)
        #expect(try events.nextEvent() == .end)
        #expect(events.takeBufferedBytes() == frame)

        // Nothing after the head: nothing taken.
        var empty = HTTPRequestParser()
        empty.append(upgrade)
        #expect(try empty.nextRequest() != nil)
        #expect(empty.takeBufferedBytes() == [])
    }

    @Test func parserStaysSmall() {
        // It lives in every connection; the in-progress request of nextRequest is boxed.
        #expect(MemoryLayout<HTTPRequestParser>.size <= 96)
    }

    @Test func contentLengthBodyIsHandedOverWithoutCopyWhenItFillsTheBuffer() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n"))
        #expect(try parser.nextEvent() != nil)
        parser.append(bytes("12345678"))
        #expect(try parser.nextEvent() == .body(bytes("12345678")))
        #expect(parser.buffer.capacity == 0)
        #expect(try parser.nextEvent() == .end)
    }
}
