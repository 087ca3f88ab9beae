import FuzzCommon
import HTTPCodec

// The framing core (chunked decoding, line scanning) through both parsers.
// Input: byte 0 seeds the split points; the rest is a chunked body (chunks, extensions, last chunk,
// trailers) that follows a chunked request head and a chunked response head.
// Invariants:
// 1. Agreement: HTTPRequestParser and HTTPResponseParser, fed the same body bytes in the same
//    pieces, decode the same body bytes, end at the same point, or refuse it for the same reason
//    (one strictness policy: CRLF in chunked framing, the same chunk-size and line-limit rules).
// 2. Split invariance: the outcome is the same fed whole and fed in fuzzer-chosen pieces.
// 3. What ends is well-formed: when a body ends, the bytes consumed re-encode (HTTPChunkedWriter,
//    the decoded body as one chunk) to a body that decodes to the same bytes.

/// Equal line limits for both parsers, small so the fuzzer reaches them.
let lineLimit = 256

let requestHead = Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
let responseHead = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

struct Outcome: Equatable {
    var body: [UInt8] = []
    var ended = false
    /// The refusal, the same words whichever parser said it.
    var error: String?
}

/// The request parser's reasons in the response parser's words (a too-long chunk line is a
/// head-too-large there).
func normalized(_ error: HTTPParseError) -> String {
    switch error {
    case .malformed("chunk size line too long"), .headTooLarge: "too long"
    case .malformed(let reason): reason
    default: "\(error)"
    }
}

func normalized(_ error: HTTPResponseParseError) -> String {
    switch error {
    case .headTooLarge: "too long"
    case .malformed(let reason): reason
    default: "\(error)"
    }
}

func viaRequestParser(_ pieces: [[UInt8]]) -> Outcome {
    var parser = HTTPRequestParser(limits: HTTPLimits(maxHeadBytes: lineLimit))
    var outcome = Outcome()
    parser.append(requestHead)
    do throws(HTTPParseError) {
        guard case .head = try parser.nextEvent() else { violated("no request head") }
        for piece in pieces {
            parser.append(piece)
            while !outcome.ended, let event = try parser.nextEvent() {
                switch event {
                case .head: violated("a head inside a body")
                case .body(let bytes): outcome.body += bytes
                case .end: outcome.ended = true
                }
            }
            if outcome.ended { break }
        }
    } catch {
        outcome.error = normalized(error)
    }
    return outcome
}

func viaResponseParser(_ pieces: [[UInt8]]) -> Outcome {
    var parser = HTTPResponseParser(maxHeadBytes: lineLimit)
    var outcome = Outcome()
    parser.append(responseHead)
    do throws(HTTPResponseParseError) {
        guard case .head = try parser.nextEvent() else { violated("no response head") }
        for piece in pieces {
            parser.append(piece.span)
            while !outcome.ended, let event = try parser.nextEvent() {
                switch event {
                case .head: violated("a head inside a body")
                case .body(let bytes): outcome.body += bytes
                case .end: outcome.ended = true
                }
            }
            if outcome.ended { break }
        }
    } catch {
        outcome.error = normalized(error)
    }
    return outcome
}

func testOneInput(_ input: [UInt8]) {
    guard let seed = input.first else { return }
    let body = Array(input.dropFirst())
    let whole = viaRequestParser([body])
    let split = pieces(of: body, seed: seed)
    let request = viaRequestParser(split)
    let response = viaResponseParser(split)
    if request != whole { violated("split changed the request parser's outcome:\nwhole \(whole)\nsplit \(request)") }
    if response != request { violated("parsers disagree:\nrequest  \(request)\nresponse \(response)") }
    if whole.ended {
        let again = viaResponseParser([HTTPChunkedWriter.chunk(whole.body) + HTTPChunkedWriter.lastChunk])
        if again != Outcome(body: whole.body, ended: true) { violated("re-encoded body decoded to \(again)") }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(fuzzInput(data, size))
    return 0
}

@_cdecl("FuzzChunkedBody_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzerTestOneInput)
}
