/// Streaming injector: body in, body out, chunk by chunk, one snippet inserted once.
///
/// Where the snippet goes, first match wins:
/// 1. Immediately before the first `</head` end tag, so the script runs and opens its socket
///    while the rest of the page still loads, and a reload triggered meanwhile is not missed.
/// 2. Before a `<body` start tag met before any `</head`: the head ended implicitly there,
///    and this is still the earliest point that is surely inside the document.
/// 3. Before `</html` when the page has neither.
/// 4. At the end, in ``finish()``, for fragments without any of them; but only if the body ends
///    in plain text, since a snippet inside an unclosed comment, script or tag would be dead
///    text or break the page's own script.
///
/// Never after `</html>`: pages that re-parse their own markup (htmx history restore, for one)
/// would then duplicate or drop it. Tag names match in any case and end at whitespace, `/` or `>`
/// as in the HTML tokenizer, so `</HEAD >` and `</head\t>` count and `<bodyguard>` does not.
/// Tag-like text inside comments, attribute values and raw-text elements (`script`, `style`,
/// `textarea`, `title`, and the rarer `xmp`, `iframe`, `noembed`, `noframes`, `noscript`)
/// is ignored, because the browser ignores it too.
///
/// If the marker (an attribute of the snippet) occurs as an attribute in a tag before the injection point,
/// the body passes through untouched: a filter further upstream has already injected.
///
/// Output is byte-identical to the input except for the one inserted snippet, and any chunking
/// gives the same bytes as ``inject(_:into:marker:)``. At most the few bytes of a possible
/// `</head`, `<body` or `</html` (six at most) are held back between chunks; everything else is
/// returned at once, so proxied pages stream as they did, and memory does not grow with the body.
public struct HTMLInjector: Sendable {
    /// The attribute the broker's snippet carries, searched for to avoid injecting twice.
    public static let defaultMarker = "data-reload-broker"

    private enum Phase: UInt8, Sendable {
        /// Looking for the injection point; bytes may be held back.
        case scanning
        /// The snippet went out; the rest passes through.
        case injected
        /// No injection will happen (marker found, or the body ended where a snippet cannot go).
        case declined
    }

    private let snippet: [UInt8]
    private let marker: [UInt8]
    /// Knuth–Morris–Pratt fallback: for each prefix length + 1, the longest proper border,
    /// so the marker is found in one pass however the body is chunked.
    private let markerBorders: [Int]
    private var markerMatched = 0
    private var scanner = HTMLScanner()
    private var phase = Phase.scanning
    /// The held-back bytes of a possible injection tag from earlier chunks, the last byte lowest.
    private var held: UInt64 = 0
    private var heldCount = 0

    /// Prepares to inject `snippet` once; `marker` is the text whose presence means "already injected".
    ///
    /// An empty marker disables the double-injection guard.
    public init(snippet: String, marker: String = HTMLInjector.defaultMarker) {
        self.snippet = Array(snippet.utf8)
        let marker = Array(marker.utf8)
        self.marker = marker
        var borders = [Int](repeating: 0, count: marker.count)
        var border = 0
        for index in marker.indices.dropFirst() {
            while border > 0 && marker[index] != marker[border] { border = borders[border - 1] }
            if marker[index] == marker[border] { border += 1 }
            borders[index] = border
        }
        markerBorders = borders
    }

    /// Whether the snippet has been emitted.
    public var didInject: Bool { phase == .injected }

    /// Consumes the next chunk of the body and returns the bytes that can be sent now.
    ///
    /// The result may be shorter than the chunk (a possible injection tag is held back) or
    /// longer (the snippet was inserted); concatenating all results and ``finish()`` gives the body.
    public mutating func feed(_ chunk: Span<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        let count = chunk.count
        guard phase == .scanning else {
            Self.append(chunk, 0..<count, to: &out)
            return out
        }
        out.reserveCapacity(count + heldCount + snippet.count)
        // Start of the tracked tag in this chunk; -1 when it began in an earlier chunk (it is in `held`).
        var candidate: Int? = heldCount > 0 ? -1 : nil
        var index = 0
        while index < count {
            if let stop = scanner.quietStop {
                // Fast path: skip bytes that cannot change the scanner's state (the marker is only
                // looked for among attributes, where there is no quiet stop).
                index = Self.firstIndex(in: chunk, from: index, of: stop, or: stop)
                if index == count { break }
            }
            let byte = chunk[index]
            if !marker.isEmpty {
                // The marker counts only as an attribute of a tag: a page whose script or text
                // mentions it (e.g. querySelector('[data-reload-broker]')) still gets the client.
                if scanner.isAmongAttributes {
                    if advanceMarker(byte) {
                        phase = .declined
                        appendHeld(to: &out)
                        Self.append(chunk, 0..<count, to: &out)
                        return out
                    }
                } else {
                    markerMatched = 0
                }
            }
            switch scanner.step(byte) {
            case .none:
                break
            case .open:
                candidate = index
            case .reopen:
                if candidate == -1 { appendHeld(to: &out) }
                candidate = index
            case .drop:
                if candidate == -1 { appendHeld(to: &out) }
                candidate = nil
            case .place:
                phase = .injected
                let start = max(candidate ?? 0, 0)
                Self.append(chunk, 0..<start, to: &out)
                out.append(contentsOf: snippet)
                appendHeld(to: &out)
                Self.append(chunk, start..<count, to: &out)
                return out
            }
            index += 1
        }
        switch candidate {
        case nil:
            Self.append(chunk, 0..<count, to: &out)
        case let start? where start >= 0:
            Self.append(chunk, 0..<start, to: &out)
            hold(chunk, start..<count)
        default:
            hold(chunk, 0..<count)
        }
        return out
    }

    /// Consumes the next chunk of the body and returns the bytes that can be sent now.
    public mutating func feed(_ chunk: [UInt8]) -> [UInt8] {
        feed(chunk.span)
    }

    /// Ends the body: returns the held-back bytes, preceded by the snippet if it was not placed yet.
    ///
    /// A tag cut off by the end of the body is dropped by browsers, so the snippet goes before
    /// it; after an unclosed comment, raw-text element or tag nothing is injected (see the type).
    public mutating func finish() -> [UInt8] {
        guard phase == .scanning else { return [] }
        var out: [UInt8] = []
        if heldCount > 0 || scanner.state == .data {
            phase = .injected
            out.reserveCapacity(snippet.count + heldCount)
            out.append(contentsOf: snippet)
            appendHeld(to: &out)
        } else {
            phase = .declined
        }
        return out
    }

    /// Whole body at once; equals feeding it in any chunking then finish().
    public static func inject(_ snippet: String, into body: [UInt8], marker: String = HTMLInjector.defaultMarker)
        -> [UInt8]
    {
        var injector = HTMLInjector(snippet: snippet, marker: marker)
        var out = injector.feed(body)
        out.append(contentsOf: injector.finish())
        return out
    }

    /// Advances the marker search by one byte; true when the whole marker has just been seen.
    @inline(__always)
    private mutating func advanceMarker(_ byte: UInt8) -> Bool {
        var matched = markerMatched
        while matched > 0 && marker[matched] != byte { matched = markerBorders[matched - 1] }
        if marker[matched] == byte { matched += 1 }
        markerMatched = matched
        return matched == marker.count
    }

    /// Adds bytes of a tracked tag to the held-back bytes.
    private mutating func hold(_ chunk: Span<UInt8>, _ range: Range<Int>) {
        for index in range {
            held = held << 8 | UInt64(chunk[index])
            heldCount += 1
        }
        precondition(heldCount <= 8, "HTMLInjector held back more than a tag prefix")
    }

    /// Moves the held-back bytes to `out`, oldest first.
    private mutating func appendHeld(to out: inout [UInt8]) {
        var remaining = heldCount
        while remaining > 0 {
            remaining -= 1
            out.append(UInt8(truncatingIfNeeded: held >> (8 * UInt64(remaining))))
        }
        held = 0
        heldCount = 0
    }

    /// The index of the first `a` or `b` byte at or after `start`, or the span's count.
    ///
    /// Text, scripts and comments are most of a page, so this is the injector's hot loop: it tests
    /// eight bytes per step with the classic "has zero byte" bit trick (the lowest flagged byte
    /// is always a true match), and the eight indexed loads compile to a single word load.
    @inline(__always)
    private static func firstIndex(in span: Span<UInt8>, from start: Int, of a: UInt8, or b: UInt8) -> Int {
        let count = span.count
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let patternA = ones &* UInt64(a)
        let patternB = ones &* UInt64(b)
        var index = start
        while count - index >= 8 {
            let part = span.extracting(index..<(index + 8))
            var word: UInt64 = 0
            for offset in 0..<8 { word |= UInt64(part[offset]) << (8 &* UInt64(offset)) }
            let xorA = word ^ patternA
            let xorB = word ^ patternB
            let found = ((xorA &- ones) & ~xorA | (xorB &- ones) & ~xorB) & highs
            if found != 0 { return index + found.trailingZeroBitCount >> 3 }
            index += 8
        }
        while index < count, span[index] != a, span[index] != b { index += 1 }
        return index
    }

    /// Copies part of a span to the end of an array without intermediate allocation.
    private static func append(_ span: Span<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
        guard !range.isEmpty else { return }
        let part = span.extracting(range)
        out.append(addingCapacity: part.count) { output in
            for index in part.indices { output.append(part[index]) }
        }
    }
}
