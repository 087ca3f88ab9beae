import Testing
@testable import HTTPCodec

/// A byte stream that must fail with `error` (answered with status `code`).
struct InvalidExample: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var error: HTTPParseError
    var code: Int
    var limits = HTTPLimits()
    var testDescription: String { name }
}

private let get = "GET / HTTP/1.1\r\nHost: a\r\n"

let invalidExamples: [InvalidExample] = [
    // Request line (RFC 9112 §3).
    .init(name: "no version", input: bytes("GET /\r\nHost: a\r\n\r\n"), error: .malformed("missing HTTP version"), code: 400),
    .init(name: "method only", input: bytes("GET\r\n\r\n"), error: .malformed("missing request target"), code: 400),
    .init(name: "two spaces", input: bytes("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
          error: .malformed("empty request target or extra space"), code: 400),
    .init(name: "trailing space", input: bytes("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
          error: .malformed("invalid HTTP version"), code: 400),
    .init(name: "leading space", input: bytes(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
          error: .malformed("invalid request line"), code: 400),
    .init(name: "tab separator", input: bytes("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), error: .malformed("invalid method"), code: 400),
    .init(name: "method not a token", input: bytes("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), error: .malformed("invalid method"), code: 400),
    .init(name: "control in target", input: bytes("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n"),
          error: .malformed("invalid character in request target"), code: 400),
    .init(name: "non-ASCII target", input: bytes("GET /é HTTP/1.1\r\nHost: a\r\n\r\n"),
          error: .malformed("invalid character in request target"), code: 400),
    .init(name: "lowercase version", input: bytes("GET / http/1.1\r\nHost: a\r\n\r\n"), error: .malformed("invalid HTTP version"), code: 400),
    .init(name: "version junk", input: bytes("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), error: .malformed("invalid HTTP version"), code: 400),
    .init(name: "HTTP/1", input: bytes("GET / HTTP/1\r\nHost: a\r\n\r\n"), error: .malformed("invalid HTTP version"), code: 400),
    .init(name: "HTTP/0.9", input: bytes("GET / HTTP/0.9\r\n\r\n"), error: .malformed("HTTP/0.x not supported"), code: 400),
    .init(name: "HTTP/2.0", input: bytes("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), error: .unsupportedVersion, code: 505),
    .init(name: "HTTP/3", input: bytes("GET / HTTP/3\r\nHost: a\r\n\r\n"), error: .unsupportedVersion, code: 505),
    // Line endings (RFC 9112 §2.2).
    .init(name: "bare CR in request line", input: bytes("GET / HTTP/1.1\rHost: a\r\n\r\n"), error: .malformed("bare CR"), code: 400),
    .init(name: "bare CR in value", input: bytes(get + "X: a\rb\r\n\r\n"), error: .malformed("bare CR"), code: 400),
    .init(name: "bare CR before request", input: bytes("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), error: .malformed("bare CR"), code: 400),
    .init(name: "bare CR as empty line", input: bytes(get + "\r\r\n"), error: .malformed("bare CR"), code: 400),
    // Field lines (RFC 9112 §5).
    .init(name: "obs-fold", input: bytes(get + "X: a\r\n  folded\r\n\r\n"), error: .malformed("obs-fold not allowed"), code: 400),
    .init(name: "obs-fold with tab", input: bytes(get + "X: a\r\n\tfolded\r\n\r\n"), error: .malformed("obs-fold not allowed"), code: 400),
    .init(name: "whitespace before first field", input: bytes("GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
          error: .malformed("whitespace before first header field"), code: 400),
    .init(name: "space before colon", input: bytes("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), error: .malformed("whitespace before colon"), code: 400),
    .init(name: "tab before colon", input: bytes(get + "X\t: a\r\n\r\n"), error: .malformed("whitespace before colon"), code: 400),
    .init(name: "invalid name", input: bytes(get + "X(y): a\r\n\r\n"), error: .malformed("invalid header name"), code: 400),
    .init(name: "missing colon", input: bytes(get + "X a\r\n\r\n"), error: .malformed("missing colon in header field"), code: 400),
    .init(name: "empty name", input: bytes(get + ": a\r\n\r\n"), error: .malformed("empty header name"), code: 400),
    .init(name: "NUL in value", input: bytes(get + "X: a\u{0}b\r\n\r\n"), error: .malformed("invalid character in header value"), code: 400),
    .init(name: "control in value", input: bytes(get + "X: a\u{1}b\r\n\r\n"), error: .malformed("invalid character in header value"), code: 400),
    // Host (RFC 9112 §3.2).
    .init(name: "missing Host", input: bytes("GET / HTTP/1.1\r\nX: a\r\n\r\n"), error: .malformed("missing Host header"), code: 400),
    .init(name: "two Host fields", input: bytes(get + "host: b\r\n\r\n"), error: .malformed("multiple Host headers"), code: 400),
    .init(name: "two Host fields in 1.0", input: bytes("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
          error: .malformed("multiple Host headers"), code: 400),
    // Framing (RFC 9112 §6).
    .init(name: "CL and TE", input: bytes(get + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
          error: .malformed("both Content-Length and Transfer-Encoding"), code: 400),
    .init(name: "TE in HTTP/1.0", input: bytes("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
          error: .malformed("Transfer-Encoding in HTTP/1.0 request"), code: 400),
    .init(name: "differing CL fields", input: bytes(get + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
          error: .malformed("conflicting Content-Length values"), code: 400),
    .init(name: "differing CL list", input: bytes(get + "Content-Length: 3, 4\r\n\r\nabcd"),
          error: .malformed("conflicting Content-Length values"), code: 400),
    .init(name: "CL not digits", input: bytes(get + "Content-Length: 3a\r\n\r\n"), error: .malformed("invalid Content-Length"), code: 400),
    .init(name: "CL signed", input: bytes(get + "Content-Length: +3\r\n\r\nabc"), error: .malformed("invalid Content-Length"), code: 400),
    .init(name: "CL negative", input: bytes(get + "Content-Length: -1\r\n\r\n"), error: .malformed("invalid Content-Length"), code: 400),
    .init(name: "CL empty", input: bytes(get + "Content-Length:\r\n\r\n"), error: .malformed("invalid Content-Length"), code: 400),
    .init(name: "CL empty element", input: bytes(get + "Content-Length: 3,\r\n\r\nabc"), error: .malformed("invalid Content-Length"), code: 400),
    .init(name: "CL overflows Int", input: bytes(get + "Content-Length: 99999999999999999999999\r\n\r\n"), error: .bodyTooLarge, code: 413),
    .init(name: "TE gzip", input: bytes(get + "Transfer-Encoding: gzip\r\n\r\n"), error: .unsupportedTransferEncoding, code: 501),
    .init(name: "TE gzip, chunked", input: bytes(get + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
          error: .unsupportedTransferEncoding, code: 501),
    .init(name: "TE chunked then identity field", input: bytes(get + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"),
          error: .unsupportedTransferEncoding, code: 501),
    .init(name: "TE chunked twice", input: bytes(get + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
          error: .malformed("chunked applied more than once"), code: 400),
    .init(name: "TE empty", input: bytes(get + "Transfer-Encoding: ,\r\n\r\n"), error: .malformed("empty Transfer-Encoding"), code: 400),
    // Chunked bodies (RFC 9112 §7.1).
    .init(name: "chunk size not hex", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\nzz\r\n"), error: .malformed("invalid chunk size"), code: 400),
    .init(name: "chunk size empty", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n\r\n"), error: .malformed("invalid chunk size"), code: 400),
    .init(name: "chunk size leading space", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"),
          error: .malformed("invalid chunk size"), code: 400),
    .init(name: "chunk size junk", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n"),
          error: .malformed("invalid chunk size"), code: 400),
    .init(name: "chunk size negative", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n-5\r\n"), error: .malformed("invalid chunk size"), code: 400),
    .init(name: "chunk size overflow", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
          error: .malformed("chunk size too large"), code: 400),
    .init(name: "chunk data too long", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"),
          error: .malformed("missing CRLF after chunk data"), code: 400),
    .init(name: "chunk data CR without LF", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\rx0\r\n\r\n"),
          error: .malformed("missing CRLF after chunk data"), code: 400),
    // Chunked framing requires CRLF (bare LF is a smuggling shape, see HTTPRequestParser's doc).
    .init(name: "bare LF after chunk size", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
          error: .malformed("bare LF in chunked framing"), code: 400),
    .init(name: "bare LF after chunk data", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n"),
          error: .malformed("missing CRLF after chunk data"), code: 400),
    .init(name: "bare LF after last chunk", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n0\n\r\n"),
          error: .malformed("bare LF in chunked framing"), code: 400),
    .init(name: "bare LF ends trailers", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n\n"),
          error: .malformed("bare LF in chunked framing"), code: 400),
    .init(name: "bare LF in a trailer line", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\nY: 2\r\n\r\n"),
          error: .malformed("bare LF in chunked framing"), code: 400),
    .init(name: "bare CR in chunk extension", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n3;a\rb\r\nabc\r\n0\r\n\r\n"),
          error: .malformed("bare CR"), code: 400),
    .init(name: "chunk line too long", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n3;" + String(repeating: "x", count: 200) + "\r\n"),
          error: .malformed("chunk size line too long"), code: 400, limits: HTTPLimits(maxHeadBytes: 128)),
    .init(name: "chunked body over limit", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
          error: .bodyTooLarge, code: 413, limits: HTTPLimits(maxBodyBytes: 10)),
    .init(name: "single chunk over limit", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\nb\r\n"),
          error: .bodyTooLarge, code: 413, limits: HTTPLimits(maxBodyBytes: 10)),
    .init(name: "trailers too large", input: bytes(get + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: " + String(repeating: "y", count: 200) + "\r\n\r\n"),
          error: .headTooLarge, code: 431, limits: HTTPLimits(maxHeadBytes: 128)),
    // Size limits.
    .init(name: "Content-Length over limit", input: bytes(get + "Content-Length: 11\r\n\r\n"),
          error: .bodyTooLarge, code: 413, limits: HTTPLimits(maxBodyBytes: 10)),
    .init(name: "head over limit", input: bytes(get + "X: " + String(repeating: "z", count: 100) + "\r\n\r\n"),
          error: .headTooLarge, code: 431, limits: HTTPLimits(maxHeadBytes: 64)),
    .init(name: "head one byte over limit", input: bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
          error: .headTooLarge, code: 431, limits: HTTPLimits(maxHeadBytes: 26)),
    .init(name: "unterminated head over limit", input: bytes("GET /" + String(repeating: "a", count: 100)),
          error: .headTooLarge, code: 431, limits: HTTPLimits(maxHeadBytes: 64)),
    .init(name: "too many header fields", input: bytes(get + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n"),
          error: .headTooLarge, code: 431, limits: HTTPLimits(maxHeaderCount: 3)),
]

@Suite("Invalid requests")
struct InvalidRequestTests {
    @Test("nextRequest fails with the expected error however the bytes are cut", arguments: invalidExamples)
    func requestErrors(example: InvalidExample) {
        #expect(example.error.status.code == example.code)
        for feeding in Feeding.all(for: example.input) {
            let outcome = parseRequests(example.input, feeding: feeding, limits: example.limits)
            #expect(outcome.values.isEmpty, "\(feeding)")
            #expect(outcome.error == example.error, "\(feeding)")
        }
    }

    @Test("nextEvent reports the same errors (except the collected-body limit)", arguments: invalidExamples)
    func eventErrors(example: InvalidExample) {
        let result = parseEvents(example.input, feeding: .chunks(of: 1), limits: example.limits)
        let isBodyLimit = example.error == .bodyTooLarge && example.limits.maxBodyBytes != HTTPLimits().maxBodyBytes
        if isBodyLimit {
            #expect(result.error == nil, "streaming mode does not apply maxBodyBytes")
        } else {
            #expect(result.error == example.error)
        }
    }

    @Test("a failed parser stays failed and ignores input", arguments: invalidExamples)
    func stickyFailure(example: InvalidExample) {
        var parser = HTTPRequestParser(limits: example.limits)
        parser.append(example.input)
        #expect(throws: example.error) { while try parser.nextRequest() != nil {} }
        parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(throws: example.error) { try parser.nextRequest() }
        #expect(throws: example.error) { try parser.nextEvent() }
        #expect(parser.buffer.capacity == 0, "a failed parser holds no buffer")
        #expect(!parser.isMidRequest)
    }

    @Test func oversizedContentLengthFailsBeforeTheBodyArrives() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 100))
        parser.append(bytes(get + "Content-Length: 101\r\n\r\n"))
        #expect(throws: HTTPParseError.bodyTooLarge) { try parser.nextRequest() }
    }

    @Test func oversizedChunkFailsBeforeItsDataArrives() throws {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 100))
        parser.append(bytes(get + "Transfer-Encoding: chunked\r\n\r\n50\r\n"))
        #expect(try parser.nextRequest() == nil)
        parser.append([UInt8](repeating: 0x61, count: 0x50) + bytes("\r\n"))
        #expect(try parser.nextRequest() == nil)
        parser.append(bytes("15\r\n"))  // 80 + 21 > 100
        #expect(throws: HTTPParseError.bodyTooLarge) { try parser.nextRequest() }
    }

    @Test func unterminatedHeadFailsAsSoonAsItPassesTheLimit() throws {
        let limit = 64
        var parser = HTTPRequestParser(limits: HTTPLimits(maxHeadBytes: limit))
        let stream = bytes("GET /" + String(repeating: "a", count: 200))
        for (index, byte) in stream.enumerated() {
            parser.append([byte])
            if index < limit {
                #expect(try parser.nextEvent() == nil)
                #expect(parser.buffer.count <= limit)
            } else {
                #expect(throws: HTTPParseError.headTooLarge) { try parser.nextEvent() }
                #expect(index == limit, "fails on the first byte past the limit")
                return
            }
        }
    }

    @Test func headersTooLargeCountsOnlyUnterminatedBytesOfTheCurrentRequest() throws {
        // Many small pipelined requests in one append far exceed maxHeadBytes together; fine.
        let one = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let many = Array((0..<50).map { _ in one }.joined())
        let outcome = parseRequests(many, limits: HTTPLimits(maxHeadBytes: one.count))
        #expect(outcome.error == nil)
        #expect(outcome.values.count == 50)
    }
}
