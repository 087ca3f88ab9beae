import FuzzCommon
import HTMLInjection

// Streaming HTML injection filter.
// Input: byte 0 seeds the chunk boundaries, the rest is the response body.
// Invariants: the streamed output (any chunking, then finish()) equals inject(_:into:) of the whole
// body; without injection the output is the body byte for byte; with injection the output is the
// body with the snippet inserted once (removing it gives the body back); a second finish() is empty.

let snippet = "<script data-reload-broker src=\"/__reload/client.js\"></script>"
let snippetBytes = Array(snippet.utf8)

func stream(_ chunks: [[UInt8]]) -> (output: [UInt8], injected: Bool) {
    var injector = HTMLInjector(snippet: snippet)
    var output: [UInt8] = []
    for (index, chunk) in chunks.enumerated() {
        output += index % 2 == 0 ? injector.feed(chunk) : injector.feed(chunk.span)
    }
    output += injector.finish()
    if !injector.finish().isEmpty { violated("finish twice emitted bytes") }
    return (output, injector.didInject)
}

/// Whether `output` is `body` with `snippet` inserted at some position.
func isBodyWithSnippet(_ output: [UInt8], body: [UInt8]) -> Bool {
    guard output.count == body.count + snippetBytes.count else { return false }
    var prefix = 0
    while prefix < body.count, output[prefix] == body[prefix] { prefix += 1 }
    var suffix = 0
    while suffix < body.count, output[output.count - 1 - suffix] == body[body.count - 1 - suffix] { suffix += 1 }
    // The insertion point p satisfies body[..<p] == output[..<p] and body[p...] == output[p + s...].
    let low = max(0, body.count - suffix)
    let high = min(prefix, body.count)
    guard low <= high else { return false }
    for point in low...high where output[point..<(point + snippetBytes.count)].elementsEqual(snippetBytes) {
        return true
    }
    return false
}

func testOneInput(_ input: [UInt8]) {
    guard !input.isEmpty else { return }
    let body = Array(input[1...])
    let whole = HTMLInjector.inject(snippet, into: body)
    let chunked = stream(pieces(of: body, seed: input[0]))
    if chunked.output != whole { violated("chunking changed the output") }
    if chunked.injected {
        if !isBodyWithSnippet(whole, body: body) { violated("output is not the body plus one snippet") }
    } else if whole != body {
        violated("output differs from the body without an injection")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(fuzzInput(data, size))
    return 0
}

@_cdecl("FuzzInjection_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzerTestOneInput)
}
