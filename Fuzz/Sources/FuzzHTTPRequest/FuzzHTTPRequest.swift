import FuzzCommon
import HTTPCodec

// HTTP/1.1 request parser.
// Input: byte 0 seeds the split points, the rest is the stream.
// Invariants:
// 1. Split invariance: feeding the stream in fuzzer-chosen pieces gives the same heads, the same
//    body bytes (pieces of a body merged), the same ends and the same error as feeding it whole.
// 2. nextRequest() over the whole stream gives the requests assembled from nextEvent(), failing
//    only where nextEvent() fails or with bodyTooLarge (it enforces maxBodyBytes, nextEvent does not).
// 3. Round trip: a parsed request re-serialized (request line, its fields without framing fields,
//    Content-Length of the decoded body) parses again to the same head and body, consuming all bytes.

/// Small limits so the fuzzer reaches them with short inputs.
let limits = HTTPLimits(maxHeadBytes: 1024, maxBodyBytes: 2048, maxHeaderCount: 16)

enum Item: Equatable {
    case head(RequestHead)
    case body([UInt8])
    case end
}

struct Outcome: Equatable {
    var items: [Item] = []
    var error: HTTPParseError?
}

func parseEvents(_ pieces: [[UInt8]]) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    for piece in pieces {
        if piece.count % 2 == 0 {
            parser.append(piece)
        } else {
            parser.append(piece.span)  // both append paths
        }
        do {
            while let event = try parser.nextEvent() {
                switch event {
                case .head(let head): outcome.items.append(.head(head))
                case .body(let bytes):
                    if bytes.isEmpty { violated("empty body event") }
                    if case .body(let previous) = outcome.items.last {
                        outcome.items[outcome.items.count - 1] = .body(previous + bytes)
                    } else {
                        outcome.items.append(.body(bytes))
                    }
                case .end: outcome.items.append(.end)
                }
            }
        } catch {
            outcome.error = error
            // Sticky failure: the same error again, and appends are ignored.
            parser.append([0x47])
            do {
                _ = try parser.nextEvent()
                violated("parser did not stay failed")
            } catch let again {
                if again != error { violated("sticky error changed: \(error) then \(again)") }
            }
            return outcome
        }
    }
    return outcome
}

/// Complete requests from an event list.
func requests(in items: [Item]) -> [HTTPRequest] {
    var result: [HTTPRequest] = []
    var current: HTTPRequest?
    for item in items {
        switch item {
        case .head(let head):
            if current != nil { violated("head inside a request") }
            current = HTTPRequest(head: head)
        case .body(let bytes):
            guard current != nil else { violated("body outside a request") }
            current!.body += bytes
        case .end:
            guard let request = current else { violated("end outside a request") }
            result.append(request)
            current = nil
        }
    }
    return result
}

func isFraming(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower == "content-length" || lower == "transfer-encoding"
}

func roundTrip(_ request: HTTPRequest) {
    var text = "\(request.head.method) \(request.head.target) \(request.head.version)\r\n"
    var expected = RequestHead(method: request.head.method, target: request.head.target, version: request.head.version)
    for field in request.head.headers where !isFraming(field.name) {
        text += "\(field.name): \(field.value)\r\n"
        expected.headers.add(field.name, field.value)
    }
    text += "Content-Length: \(request.body.count)\r\n\r\n"
    expected.headers.add("Content-Length", "\(request.body.count)")
    var parser = HTTPRequestParser(limits: HTTPLimits(maxHeadBytes: .max, maxBodyBytes: .max, maxHeaderCount: .max))
    parser.append(Array(text.utf8) + request.body)
    do {
        guard let again = try parser.nextRequest() else { violated("re-serialized request incomplete: \(text)") }
        if again.head != expected { violated("round trip changed the head: \(expected) became \(again.head)") }
        if again.body != request.body { violated("round trip changed the body") }
        if parser.isMidRequest { violated("bytes left after the re-serialized request") }
        if try parser.nextEvent() != nil { violated("extra event after the re-serialized request") }
    } catch {
        violated("re-serialized request rejected (\(error)): \(text)")
    }
}

func testOneInput(_ input: [UInt8]) {
    guard !input.isEmpty else { return }
    let stream = Array(input[1...])

    let whole = parseEvents([stream])
    let split = parseEvents(pieces(of: stream, seed: input[0]))
    if whole != split { violated("split changed the outcome:\nwhole \(whole)\nsplit \(split)") }

    let assembled = requests(in: whole.items)
    var parser = HTTPRequestParser(limits: limits)
    parser.append(stream)
    var collected: [HTTPRequest] = []
    do {
        while let request = try parser.nextRequest() { collected.append(request) }
        if whole.error != nil { violated("nextRequest accepted what nextEvent refused (\(whole.error!))") }
        if collected != assembled { violated("nextRequest and nextEvent found different requests") }
    } catch {
        if error != .bodyTooLarge && error != whole.error {
            violated("nextRequest failed with \(error), nextEvent with \(String(describing: whole.error))")
        }
    }
    if collected != Array(assembled.prefix(collected.count)) { violated("nextRequest and nextEvent disagree") }

    for request in assembled { roundTrip(request) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(fuzzInput(data, size))
    return 0
}

@_cdecl("FuzzHTTPRequest_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzerTestOneInput)
}
