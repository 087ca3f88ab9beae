import FuzzCommon
import HTTPCodec

// HTTP/1.1 response parser (the proxy's side towards the app).
// Input: byte 0 seeds the split points; byte 1 chooses the request method of each final response
// (bit k % 8 set: the k-th final response answers HEAD, else GET); the rest is the byte stream.
// The stream is appended (piece by piece, draining events after each append), then finishInput()
// is called and the events drained again.
// Invariants:
// 1. Split invariance: heads (with the parser's `framing` right after each head), body bytes
//    (pieces merged), ends, the error, which events came before finishInput(), and the bytes left
//    after a 101 are the same fed whole and fed in fuzzer-chosen pieces (empty appends and both
//    `append` overloads included). A failed parser stays failed with the same error.
// 2. Framing against a reference written here from RFC 9112 §6.3: HEAD, 1xx, 204 and 304 have no
//    body (a final one is `head` then `end` at once; a 1xx is `head` alone, as the proxy expects);
//    Transfer-Encoding whose last coding is chunked is chunked, any other coding or no framing is
//    close-delimited, else Content-Length (all values equal). A Content-Length body is exactly that
//    many bytes. A close-delimited body ends only after finishInput() and nothing follows it;
//    nothing follows a 101. Without an error, finishInput() leaves no response open.
// 3. Round trip: every parsed head, framing fields replaced by `Content-Length` of its decoded body,
//    serialized with `ResponseHead.serialized()` and followed by that body, parses again (GET) to
//    the same head and body.

/// Small head limit so the fuzzer reaches it with short inputs.
let maxHeadBytes = 512

enum Item: Equatable {
    case head(ResponseHead, HTTPResponseParser.Framing)
    case body([UInt8])
    case end
}

struct Outcome: Equatable {
    var items: [Item] = []
    var error: HTTPResponseParseError?
    /// How many items were produced before finishInput().
    var beforeFinish = 0
    /// takeBufferedBytes() after a 101.
    var leftover: [UInt8]?
}

func method(_ bits: UInt8, _ index: Int) -> String {
    (bits >> UInt8(index % 8)) & 1 == 1 ? "HEAD" : "GET"
}

func parseEvents(_ pieces: [[UInt8]], methodBits: UInt8) -> Outcome {
    var parser = HTTPResponseParser(maxHeadBytes: maxHeadBytes)
    var finals = 0
    var switched = false
    var finished = false
    parser.requestMethod = method(methodBits, 0)
    var outcome = Outcome()

    func drain() throws(HTTPResponseParseError) {
        while let event = try parser.nextEvent() {
            switch event {
            case .head(let head):
                if head.status.code == 101 { switched = true }
                outcome.items.append(.head(head, parser.framing))
            case .body(let bytes):
                if bytes.isEmpty { violated("empty body event") }
                if case .body(let previous) = outcome.items.last {
                    outcome.items[outcome.items.count - 1] = .body(previous + bytes)
                } else {
                    outcome.items.append(.body(bytes))
                }
            case .end:
                outcome.items.append(.end)
                finals += 1
                parser.requestMethod = method(methodBits, finals)
            }
        }
    }

    do throws(HTTPResponseParseError) {
        for (index, piece) in pieces.enumerated() {
            if index % 2 == 0 { parser.append(piece) } else { parser.append(piece.span) }
            try drain()
        }
        outcome.beforeFinish = outcome.items.count
        finished = true
        parser.finishInput()
        try drain()
        if switched {
            outcome.leftover = parser.takeBufferedBytes()
        } else if parser.isMidResponse {
            violated("mid-response after finishInput() without an error")
        }
    } catch {
        if !finished { outcome.beforeFinish = outcome.items.count }
        outcome.error = error
        parser.append([0x48])
        parser.finishInput()
        do {
            _ = try parser.nextEvent()
            violated("parser did not stay failed")
        } catch let again {
            if again != error { violated("sticky error changed: \(error) then \(again)") }
        }
    }
    return outcome
}

// MARK: Reference framing (RFC 9112 §6.3), written independently of the parser.

/// Optional whitespace (SP, HTAB) removed from both ends, byte-wise.
func trimmed(_ text: Substring) -> Substring {
    var utf8 = text.utf8[...]
    while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
    while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
    return Substring(utf8)
}

/// ASCII-only lowercasing: tokens are case-insensitive only over ASCII (RFC 9110 §5.6.2).
func asciiLowercased(_ text: Substring) -> String {
    String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
}

/// nil: the head must have been refused (bad Content-Length).
func referenceFraming(_ head: ResponseHead, method: String) -> HTTPResponseParser.Framing? {
    let code = head.status.code
    if method == "HEAD" || (100...199).contains(code) || code == 204 || code == 304 { return HTTPResponseParser.Framing.none }
    let codings = head.headers.values("Transfer-Encoding")
    if !codings.isEmpty {
        let elements = codings.flatMap { $0.split(separator: ",") }.map(trimmed).filter { !$0.isEmpty }
        return elements.last.map(asciiLowercased) == "chunked" ? .chunked : .untilClose
    }
    let lengths = head.headers.values("Content-Length")
    if lengths.isEmpty { return .untilClose }
    var result: Int?
    for value in lengths {
        for element in value.split(separator: ",", omittingEmptySubsequences: false) {
            // 1*DIGIT (leading zeros allowed), within Int.
            let text = trimmed(element)
            guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            let digits = text.drop { $0 == "0" }
            guard digits.utf8.count <= 19, let length = digits.isEmpty ? 0 : Int(digits) else { return nil }
            if let result, result != length { return nil }
            result = length
        }
    }
    return .length(result!)
}

func checkFraming(_ outcome: Outcome, methodBits: UInt8) {
    let items = outcome.items
    var finals = 0
    var index = 0
    while index < items.count {
        guard case .head(let head, let framing) = items[index] else { violated("\(items[index]) outside a response") }
        let code = head.status.code
        if !(100...999).contains(code) { violated("status \(code)") }
        if (100...199).contains(code) {
            if framing != .none { violated("1xx with framing \(framing)") }
            if index + 1 < items.count {
                guard case .head = items[index + 1] else { violated("1xx followed by \(items[index + 1])") }
            }
            if code == 101, index + 1 != items.count { violated("events after a 101") }
            index += 1
            continue
        }
        let requestMethod = method(methodBits, finals)
        guard let expected = referenceFraming(head, method: requestMethod) else {
            violated("head accepted with an invalid Content-Length: \(head.headers)")
        }
        if framing != expected { violated("framing \(framing), expected \(expected) (\(requestMethod) \(code))") }
        index += 1
        var body: [UInt8] = []
        if index < items.count, case .body(let bytes) = items[index] {
            body = bytes
            index += 1
        }
        let ended = index < items.count && items[index] == .end
        switch framing {
        case .none:
            if !body.isEmpty { violated("a body for \(requestMethod) \(code)") }
        case .length(let length):
            if body.count > length || (ended && body.count != length) {
                violated("Content-Length \(length), body \(body.count)")
            }
        case .chunked:
            break
        case .untilClose:
            if ended && index < outcome.beforeFinish { violated("close-delimited body ended before finishInput()") }
            if ended && index + 1 != items.count { violated("a response after a close-delimited body") }
        }
        if !ended {
            if index != items.count { violated("response not ended before \(items[index])") }
            if outcome.error == nil { violated("finishInput() left a response open without an error") }
            return
        }
        index += 1
        finals += 1
    }
}

// MARK: Round trip

func roundTrip(_ head: ResponseHead, _ body: [UInt8]) {
    var expected = head
    expected.headers.remove("Content-Length")
    expected.headers.remove("Transfer-Encoding")
    expected.headers.add("Content-Length", String(body.count))
    let wire = expected.serialized() + body
    var parser = HTTPResponseParser()
    var items: [Item] = []
    do throws(HTTPResponseParseError) {
        parser.append(wire)
        parser.finishInput()
        while let event = try parser.nextEvent() {
            switch event {
            case .head(let head): items.append(.head(head, parser.framing))
            case .body(let bytes):
                if case .body(let previous) = items.last {
                    items[items.count - 1] = .body(previous + bytes)
                } else {
                    items.append(.body(bytes))
                }
            case .end: items.append(.end)
            }
        }
    } catch {
        violated("re-serialized response rejected (\(error)): \(String(decoding: wire, as: UTF8.self))")
    }
    let wanted: [Item]
    if (100...199).contains(head.status.code) {
        wanted = [.head(expected, .none)]
    } else {
        let framing: HTTPResponseParser.Framing =
            head.status.code == 204 || head.status.code == 304 ? .none : body.isEmpty ? .length(0) : .length(body.count)
        wanted = [.head(expected, framing)] + (body.isEmpty ? [] : [.body(body)]) + [.end]
    }
    if items != wanted { violated("round trip:\nwanted \(wanted)\ngot    \(items)") }
}

func roundTrips(_ items: [Item]) {
    var index = 0
    while index < items.count {
        guard case .head(let head, _) = items[index] else { index += 1; continue }
        index += 1
        if (100...199).contains(head.status.code) {
            roundTrip(head, [])
            continue
        }
        var body: [UInt8] = []
        if index < items.count, case .body(let bytes) = items[index] {
            body = bytes
            index += 1
        }
        if index < items.count, items[index] == .end { roundTrip(head, body) }
    }
}

func testOneInput(_ input: [UInt8]) {
    guard input.count >= 2 else { return }
    let methodBits = input[1]
    let stream = Array(input[2...])

    let whole = parseEvents([stream], methodBits: methodBits)
    let split = parseEvents(pieces(of: stream, seed: input[0]), methodBits: methodBits)
    if whole != split { violated("split changed the outcome:\nwhole \(whole)\nsplit \(split)") }
    checkFraming(whole, methodBits: methodBits)
    roundTrips(whole.items)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(fuzzInput(data, size))
    return 0
}

@_cdecl("FuzzHTTPResponse_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzerTestOneInput)
}
