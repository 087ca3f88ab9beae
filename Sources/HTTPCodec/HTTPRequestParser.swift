/// Incremental, streaming HTTP/1.1 request parser (RFC 9112). Bytes are appended as they arrive;
/// events are pulled.
///
/// Why pull-based: the server reads, appends, then drains events until `nil`; there are no
/// callbacks to re-enter and the parser is a plain value that lives inside each connection.
///
/// Resumable at any byte boundary and O(n) overall: the head is searched from a remembered scan
/// offset, never from the start again, and parsed once when its terminating empty line is seen.
/// Pipelined requests are parsed one at a time; bytes after the current request stay buffered
/// (see ``takeBufferedBytes()``). When everything buffered has been consumed the buffer's storage
/// is released, so an idle keep-alive connection holds no buffer memory.
///
/// Strictness (RFC 9112 §2.2, §3, §5, §6, §7.1, §11): bare LF line endings are accepted in the
/// head, but chunked framing (size lines, the end of chunk data, trailers) requires CRLF, since
/// recipients that disagree on a bare LF there can be made to split one body differently
/// (a request-smuggling shape); a bare CR anywhere is rejected, empty lines before a request line are skipped, obs-fold and whitespace
/// between a field name and its colon are rejected, conflicting framing (Content-Length with
/// Transfer-Encoding, differing Content-Lengths) is rejected, and HTTP/1.1 requires exactly one Host.
///
/// Not enforced: the request-target's form and the Host value's syntax; the meaning of methods;
/// trailer fields (skipped, only bounded); chunk extensions (skipped, only bounded).
/// Memory bound: an unterminated head never exceeds `maxHeadBytes` plus the last append,
/// provided the caller drains events after each append.
public struct HTTPRequestParser: Sendable {
    /// What ``nextEvent()`` reports, in order `head`, zero or more `body`, `end` per request.
    public enum Event: Sendable, Equatable {
        case head(RequestHead)
        /// A non-empty piece of the decoded body (chunked framing removed).
        case body([UInt8])
        case end
    }

    /// Where the parser is within the current request.
    enum State: Sendable {
        /// Waiting for, or scanning, a request head.
        case head
        /// Head (and any body) delivered; the next event is `.end`.
        case endPending
        /// Content-Length framing: this many body bytes still to deliver.
        case fixedBody(remaining: Int)
        /// Chunked framing: scanning a `chunk-size [chunk-ext] CRLF` line.
        case chunkSize
        /// Chunked framing: this many bytes of the current chunk still to deliver.
        case chunkData(remaining: Int)
        /// Chunked framing: the CRLF after a chunk's data.
        case chunkDataEnd
        /// Chunked framing: skipping the trailer section up to its empty line.
        case trailers
        /// Sticky failure: every later call throws this.
        case failed(HTTPParseError)
    }

    /// Internal event: body bytes are a range of `buffer` valid until the next mutation, so
    /// ``nextRequest()`` can copy them once, straight into the collected body.
    enum Step {
        case head(RequestHead, contentLength: Int?)
        case body(Range<Int>)
        case end
    }

    /// Bytes collected so far by ``nextRequest()`` for a request whose head has been parsed.
    struct PendingRequest {
        var head: RequestHead
        var body: [UInt8]
    }

    /// A heap box for ``PendingRequest``: keeps the parser 8 bytes wide for it instead of 56,
    /// since it is only needed between calls while a request body is incomplete.
    enum PendingBox {
        indirect case request(PendingRequest)

        var request: PendingRequest {
            switch self {
            case .request(let request): request
            }
        }
    }

    /// The limits this parser enforces.
    public let limits: HTTPLimits
    /// Received bytes; `buffer[..<readIndex]` is consumed.
    private(set) var buffer: [UInt8] = []
    private(set) var readIndex = 0
    /// Where the search for a line end resumes (head, chunk-size line, trailers).
    private(set) var scanIndex = 0
    /// Start of the line containing `scanIndex`, to recognise the empty line ending a section.
    private var lineStart = 0
    private var state: State = .head
    #if DEBUG
    /// Bytes the line scanner has examined, so tests can prove 1-byte feeding is linear.
    /// Debug builds only; release builds do not carry it.
    private(set) var scannedByteCount = 0
    #endif
    private var pending: PendingBox?

    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
    }

    // MARK: Input

    /// Buffers `bytes` for parsing. Ignored once the parser has failed.
    public mutating func append(_ bytes: Span<UInt8>) {
        if case .failed = state { return }
        guard !bytes.isEmpty else { return }
        prepareForAppend()
        let needed = buffer.count + bytes.count
        if needed > buffer.capacity {
            // Grow geometrically: an exact reserve per 1-byte append would be quadratic.
            buffer.reserveCapacity(Swift.max(needed, buffer.capacity * 2))
        }
        for index in bytes.indices {
            buffer.append(bytes[index])
        }
    }

    /// Buffers `bytes` for parsing. Ignored once the parser has failed.
    ///
    /// When nothing is buffered the array is adopted without copying.
    public mutating func append(_ bytes: [UInt8]) {
        if case .failed = state { return }
        guard !bytes.isEmpty else { return }
        prepareForAppend()
        if buffer.isEmpty {
            buffer = bytes
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    // MARK: Output

    /// Next event, nil when more bytes are needed. After an error the parser stays failed
    /// (returns the same error).
    ///
    /// Streaming mode: bodies are delivered as they arrive and are not bounded by
    /// `maxBodyBytes` (neither Content-Length nor chunked); the consumer decides how much to
    /// accept. Chunk-size syntax and overflow are still checked.
    public mutating func nextEvent() throws(HTTPParseError) -> Event? {
        let step: Step?
        do throws(HTTPParseError) {
            step = try self.step(bodyLimit: .max)
        } catch {
            fail(error)
            throw error
        }
        let event: Event?
        switch step {
        case nil:
            event = nil
        case .head(let head, _):
            event = .head(head)
        case .body(let range):
            // A body piece covering the whole buffer is handed over without copying.
            event = .body(range == buffer.indices ? buffer : Array(buffer[range]))
        case .end:
            event = .end
        }
        releaseIfDrained()
        return event
    }

    /// Convenience over ``nextEvent()``: a whole request with its body collected, nil when more
    /// bytes are needed.
    ///
    /// The body is limited by `maxBodyBytes`: ``HTTPParseError/bodyTooLarge`` is thrown as soon as
    /// a Content-Length or a chunk size says the limit would be passed, before buffering those bytes.
    /// Do not mix with ``nextEvent()`` within one request (a precondition catches starting a request
    /// with `nextEvent` and finishing it here).
    public mutating func nextRequest() throws(HTTPParseError) -> HTTPRequest? {
        // Work on a local copy; only a request left incomplete is boxed back into `self`, so the
        // common case (whole request in the buffer) allocates no box.
        var current = pending?.request
        pending = nil
        do throws(HTTPParseError) {
            while true {
                let limit = limits.maxBodyBytes - (current?.body.count ?? 0)
                guard let step = try self.step(bodyLimit: limit) else {
                    if let current { pending = .request(current) }
                    releaseIfDrained()
                    return nil
                }
                switch step {
                case .head(let head, let contentLength):
                    var body: [UInt8] = []
                    if let contentLength, contentLength > 0 { body.reserveCapacity(contentLength) }
                    current = PendingRequest(head: head, body: body)
                case .body(let range):
                    precondition(current != nil, "nextRequest() used within a request started by nextEvent()")
                    guard range.count <= limit else { throw HTTPParseError.bodyTooLarge }
                    current?.body.append(contentsOf: buffer[range])
                    releaseIfDrained()
                case .end:
                    guard let request = current else {
                        preconditionFailure("nextRequest() used within a request started by nextEvent()")
                    }
                    releaseIfDrained()
                    return HTTPRequest(head: request.head, body: request.body)
                }
            }
        } catch {
            fail(error)
            throw error
        }
    }

    /// True while a request has started but not finished (for the server's head timeout):
    /// bytes of a head are buffered, or a head was delivered and its body or end is outstanding.
    public var isMidRequest: Bool {
        switch state {
        case .head: readIndex < buffer.count
        case .failed: false
        default: true
        }
    }

    /// The unparsed bytes after the last complete request, emptying the buffer.
    ///
    /// Used after a WebSocket upgrade: those bytes belong to the new protocol (RFC 9110 §7.8).
    /// The parser's request state is left as is, so call this after the upgrade request's `.end`
    /// (or after ``nextRequest()`` returned it).
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = readIndex == 0 ? buffer : Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        scanIndex = 0
        lineStart = 0
        return rest
    }

    // MARK: Buffer management

    /// Drops the consumed prefix when it is at least as large as what remains, so each byte
    /// is moved at most a constant number of times on average.
    private mutating func prepareForAppend() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer = []
        } else if readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        // Scan offsets are stale (below readIndex) in body states; they are reset before use.
        scanIndex = Swift.max(scanIndex - readIndex, 0)
        lineStart = Swift.max(lineStart - readIndex, 0)
        readIndex = 0
    }

    /// Releases the buffer's storage once everything in it has been consumed.
    private mutating func releaseIfDrained() {
        guard readIndex == buffer.count, buffer.capacity != 0 else { return }
        buffer = []
        readIndex = 0
        scanIndex = 0
        lineStart = 0
    }

    private mutating func fail(_ error: HTTPParseError) {
        state = .failed(error)
        pending = nil
        buffer = []
        readIndex = 0
        scanIndex = 0
        lineStart = 0
    }

    private mutating func startScanning() {
        scanIndex = readIndex
        lineStart = readIndex
    }

    // MARK: State machine

    /// Advances by at most one event. `bodyLimit` is how many more body bytes the caller accepts.
    private mutating func step(bodyLimit: Int) throws(HTTPParseError) -> Step? {
        while true {
            switch state {
            case .failed(let error):
                throw error

            case .head:
                guard skipLeadingEmptyLines() else { return nil }
                guard let headEnd = try scan(untilEmptyLine: true, tooLong: .headTooLarge) else { return nil }
                let head = try parseHead(readIndex..<headEnd)
                readIndex = headEnd
                let framing = try Self.framing(of: head)
                switch framing {
                case .none:
                    state = .endPending
                    return .head(head, contentLength: nil)
                case .length(let length):
                    guard length <= bodyLimit else { throw .bodyTooLarge }
                    state = length == 0 ? .endPending : .fixedBody(remaining: length)
                    return .head(head, contentLength: length)
                case .chunked:
                    state = .chunkSize
                    startScanning()
                    return .head(head, contentLength: nil)
                }

            case .endPending:
                state = .head
                startScanning()
                return .end

            case .fixedBody(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                let count = Swift.min(available, remaining)
                let range = readIndex..<(readIndex + count)
                readIndex += count
                state = count == remaining ? .endPending : .fixedBody(remaining: remaining - count)
                return .body(range)

            case .chunkSize:
                guard
                    let lineEnd = try scan(
                        untilEmptyLine: false, requireCRLF: true, tooLong: .malformed("chunk size line too long"))
                else { return nil }
                let size = try parseChunkSize(readIndex..<lineEnd)
                readIndex = lineEnd
                if size == 0 {
                    state = .trailers
                    startScanning()
                } else {
                    guard size <= bodyLimit else { throw .bodyTooLarge }
                    state = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                let count = Swift.min(available, remaining)
                let range = readIndex..<(readIndex + count)
                readIndex += count
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(range)

            case .chunkDataEnd:
                // chunk-data CRLF (RFC 9112 §7.1); strict, see the type's doc.
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                guard buffer[readIndex] == ASCII.cr else { throw .malformed("missing CRLF after chunk data") }
                guard available > 1 else { return nil }
                guard buffer[readIndex + 1] == ASCII.lf else { throw .malformed("missing CRLF after chunk data") }
                readIndex += 2
                state = .chunkSize
                startScanning()

            case .trailers:
                // Trailer fields are skipped (RFC 9112 §7.1.2 lets a recipient discard them),
                // but the section is bounded like a head.
                guard let end = try scan(untilEmptyLine: true, requireCRLF: true, tooLong: .headTooLarge)
                else { return nil }
                readIndex = end
                state = .head
                startScanning()
                return .end
            }
        }
    }

    /// Skips CRLF / LF lines before a request line (RFC 9112 §2.2). Returns false when a lone CR
    /// at the end of the buffer leaves it undecided.
    private mutating func skipLeadingEmptyLines() -> Bool {
        // Only before any byte of the request line has been scanned.
        guard scanIndex == readIndex else { return true }
        while readIndex < buffer.count {
            let byte = buffer[readIndex]
            if byte == ASCII.lf {
                readIndex += 1
            } else if byte == ASCII.cr {
                guard readIndex + 1 < buffer.count else {
                    startScanning()
                    return false
                }
                // A CR followed by anything else is caught as a bare CR by the scanner.
                guard buffer[readIndex + 1] == ASCII.lf else { break }
                readIndex += 2
            } else {
                break
            }
        }
        startScanning()
        return true
    }

    /// Resumes the search for the end of a line (or of a section ending in an empty line) that
    /// starts at `readIndex`. Returns the index just past the terminating LF, nil when more bytes
    /// are needed, and throws `tooLong` once more than `maxHeadBytes` are buffered without one.
    ///
    /// Every CR must be followed by LF (RFC 9112 §2.2): a bare CR is rejected here, once, for
    /// the whole section, so the line parsers never see a CR. With `requireCRLF` (chunked framing)
    /// a bare LF is rejected too.
    private mutating func scan(
        untilEmptyLine: Bool, requireCRLF: Bool = false, tooLong: HTTPParseError
    ) throws(HTTPParseError) -> Int? {
        let end = buffer.count
        // Written so that a limit of Int.max cannot overflow.
        let windowEnd = end - readIndex > limits.maxHeadBytes ? readIndex + limits.maxHeadBytes : end
        var index = scanIndex
        while index < windowEnd {
            #if DEBUG
            scannedByteCount += 1
            #endif
            let byte = buffer[index]
            if byte == ASCII.lf {
                if requireCRLF && (index == lineStart || buffer[index - 1] != ASCII.cr) {
                    throw .malformed("bare LF in chunked framing")
                }
                if !untilEmptyLine
                    || index == lineStart
                    || (index == lineStart + 1 && buffer[lineStart] == ASCII.cr)
                {
                    scanIndex = index + 1
                    lineStart = index + 1
                    return index + 1
                }
                lineStart = index + 1
            } else if byte == ASCII.cr {
                guard index + 1 < end else { break }  // undecided until the next byte arrives
                guard buffer[index + 1] == ASCII.lf else { throw .malformed("bare CR") }
            }
            index += 1
        }
        scanIndex = index
        if end - readIndex > limits.maxHeadBytes { throw tooLong }
        return nil
    }

    // MARK: Head parsing

    /// The content of the line starting at `start` (CRLF or LF stripped) and where the next begins.
    @inline(__always)
    private func line(from start: Int, before end: Int) -> (content: Range<Int>, next: Int) {
        var lf = start
        while lf < end && buffer[lf] != ASCII.lf { lf += 1 }
        var contentEnd = lf
        if contentEnd > start && buffer[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
        return (start..<contentEnd, lf + 1)
    }

    /// Parses a complete head (request line, field lines, empty line) in `range`.
    private func parseHead(_ range: Range<Int>) throws(HTTPParseError) -> RequestHead {
        // Every line ends in LF: request line + fields + the empty line.
        var lineCount = 0
        for index in range where buffer[index] == ASCII.lf { lineCount += 1 }
        let fieldCount = lineCount - 2
        guard fieldCount <= limits.maxHeaderCount else { throw .headTooLarge }

        let requestLine = line(from: range.lowerBound, before: range.upperBound)
        var head = try parseRequestLine(requestLine.content)

        var fields: [HTTPHeaders.Element] = []
        fields.reserveCapacity(fieldCount)
        var next = requestLine.next
        while true {
            let fieldLine = line(from: next, before: range.upperBound)
            next = fieldLine.next
            if fieldLine.content.isEmpty { break }
            fields.append(try parseField(fieldLine.content, isFirst: fields.isEmpty))
        }
        head.headers = HTTPHeaders(fields: fields)
        return head
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3), exactly one SP between parts.
    private func parseRequestLine(_ range: Range<Int>) throws(HTTPParseError) -> RequestHead {
        var index = range.lowerBound
        let end = range.upperBound

        // method = token (RFC 9110 §9.1)
        while index < end && buffer[index] != ASCII.sp {
            guard ASCII.isTokenChar(buffer[index]) else { throw .malformed("invalid method") }
            index += 1
        }
        guard index > range.lowerBound else { throw .malformed("invalid request line") }
        guard index < end else { throw .malformed("missing request target") }
        let method = String(decoding: buffer[range.lowerBound..<index], as: UTF8.self)
        index += 1

        // request-target: no whitespace, controls or non-ASCII (RFC 9112 §3.2, RFC 3986).
        let targetStart = index
        while index < end && buffer[index] != ASCII.sp {
            let byte = buffer[index]
            guard byte > ASCII.sp && byte < 0x7F else { throw .malformed("invalid character in request target") }
            index += 1
        }
        guard index > targetStart else { throw .malformed("empty request target or extra space") }
        guard index < end else { throw .malformed("missing HTTP version") }
        let target = String(decoding: buffer[targetStart..<index], as: UTF8.self)
        index += 1

        let version = try parseVersion(index..<end)
        return RequestHead(method: method, target: target, version: version)
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT`, case-sensitive (RFC 9112 §2.3).
    ///
    /// 1.x with x ≥ 2 is read as 1.1 (RFC 9110 §2.5); majors ≥ 2 (also written `HTTP/2`, `HTTP/3`)
    /// are ``HTTPParseError/unsupportedVersion``; 0.x and anything else is malformed.
    private func parseVersion(_ range: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
        let prefix: [UInt8] = [0x48, 0x54, 0x54, 0x50, 0x2F]  // "HTTP/"
        let count = range.count
        guard count >= 6, buffer[range.lowerBound..<(range.lowerBound + 5)].elementsEqual(prefix) else {
            throw .malformed("invalid HTTP version")
        }
        let majorByte = buffer[range.lowerBound + 5]
        guard let major = ASCII.digitValue(majorByte) else { throw .malformed("invalid HTTP version") }
        if count == 6 {
            // "HTTP/2", "HTTP/3": how later versions are named, not valid HTTP/1 syntax.
            guard major >= 2 else { throw .malformed("invalid HTTP version") }
            throw .unsupportedVersion
        }
        guard count == 8, buffer[range.lowerBound + 6] == UInt8(ascii: "."),
            let minor = ASCII.digitValue(buffer[range.lowerBound + 7])
        else { throw .malformed("invalid HTTP version") }
        switch major {
        case 1: return minor == 0 ? .http1_0 : .http1_1
        case 0: throw .malformed("HTTP/0.x not supported")
        default: throw .unsupportedVersion
        }
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5, RFC 9110 §5.5).
    private func parseField(_ range: Range<Int>, isFirst: Bool) throws(HTTPParseError) -> HTTPHeaders.Element {
        let start = range.lowerBound
        let end = range.upperBound
        if ASCII.isWhitespace(buffer[start]) {
            // RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace before the first field): reject.
            throw .malformed(isFirst ? "whitespace before first header field" : "obs-fold not allowed")
        }
        var colon = start
        while colon < end && buffer[colon] != ASCII.colon { colon += 1 }
        guard colon < end else { throw .malformed("missing colon in header field") }
        guard colon > start else { throw .malformed("empty header name") }
        for index in start..<colon where !ASCII.isTokenChar(buffer[index]) {
            // RFC 9112 §5.1: no whitespace between field name and colon (a smuggling vector).
            let onlyWhitespaceFollows = (index..<colon).allSatisfy { ASCII.isWhitespace(buffer[$0]) }
            throw .malformed(onlyWhitespaceFollows ? "whitespace before colon" : "invalid header name")
        }
        let name = String(decoding: buffer[start..<colon], as: UTF8.self)

        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd && ASCII.isWhitespace(buffer[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && ASCII.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
        for position in valueStart..<valueEnd {
            // field-vchar / SP / HTAB: no NUL (RFC 9110 §5.5 says reject or replace) and no other
            // controls; CR and LF cannot occur here (the scanner split lines and rejected bare CR).
            let byte = buffer[position]
            guard byte >= ASCII.sp || byte == ASCII.htab, byte != 0x7F else {
                throw .malformed("invalid character in header value")
            }
        }
        // obs-text (0x80-0xFF) is allowed; bytes that are not UTF-8 become U+FFFD.
        let value = String(decoding: buffer[valueStart..<valueEnd], as: UTF8.self)
        return (name: name, value: value)
    }

    /// `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1); `range` ends just past the LF.
    /// Extensions are skipped without validation beyond the scanner's bare-CR check.
    private func parseChunkSize(_ range: Range<Int>) throws(HTTPParseError) -> Int {
        let content = line(from: range.lowerBound, before: range.upperBound).content
        var index = content.lowerBound
        var size = 0
        while index < content.upperBound, let digit = ASCII.hexValue(buffer[index]) {
            let shifted = size.multipliedReportingOverflow(by: 16)
            let added = shifted.partialValue.addingReportingOverflow(digit)
            guard !shifted.overflow, !added.overflow else { throw .malformed("chunk size too large") }
            size = added.partialValue
            index += 1
        }
        guard index > content.lowerBound else { throw .malformed("invalid chunk size") }
        while index < content.upperBound && ASCII.isWhitespace(buffer[index]) { index += 1 }
        guard index == content.upperBound || buffer[index] == ASCII.semicolon else {
            throw .malformed("invalid chunk size")
        }
        return size
    }

    // MARK: Message framing

    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    /// How the body is delimited (RFC 9112 §6.3), with the Host checks of RFC 9112 §3.2.
    ///
    /// Rejected as request smuggling vectors (§6.1, §6.3, §11.2): Content-Length together with
    /// Transfer-Encoding, Transfer-Encoding in HTTP/1.0, differing Content-Length values.
    /// Identical repeated values (`42, 42`) are accepted as §6.3 allows.
    static func framing(of head: RequestHead) throws(HTTPParseError) -> Framing {
        var hostCount = 0
        var hasContentLength = false
        var hasTransferEncoding = false
        for field in head.headers {
            switch field.name.utf8.count {
            case 4 where ASCII.equalsIgnoringCase(field.name, "host"):
                hostCount += 1
            case 14 where ASCII.equalsIgnoringCase(field.name, "content-length"):
                hasContentLength = true
            case 17 where ASCII.equalsIgnoringCase(field.name, "transfer-encoding"):
                hasTransferEncoding = true
            default:
                break
            }
        }
        if hostCount > 1 { throw .malformed("multiple Host headers") }
        if hostCount == 0 && head.version == .http1_1 { throw .malformed("missing Host header") }

        if hasTransferEncoding {
            if head.version == .http1_0 { throw .malformed("Transfer-Encoding in HTTP/1.0 request") }
            if hasContentLength { throw .malformed("both Content-Length and Transfer-Encoding") }
            return try transferCoding(head.headers.values("Transfer-Encoding"))
        }
        if hasContentLength {
            return .length(try contentLength(head.headers.values("Content-Length")))
        }
        return .none
    }

    /// The only transfer coding understood is one final `chunked` (RFC 9112 §6.1, §7).
    /// Anything else is ``HTTPParseError/unsupportedTransferEncoding`` (501) — including a
    /// `chunked` that is not last, which RFC 9112 §6.3 would answer with 400; either way the
    /// connection is closed. `chunked` applied twice is malformed (§6.1).
    private static func transferCoding(_ values: [String]) throws(HTTPParseError) -> Framing {
        var chunkedCount = 0
        var sawOther = false
        for value in values {
            forEachListElement(value) { element in
                if element.isEmpty { return }  // empty list elements are ignored (RFC 9110 §5.6.1)
                if element.elementsEqual("chunked".utf8, by: { ASCII.lower($0) == $1 }) {
                    chunkedCount += 1
                } else {
                    sawOther = true
                }
            }
        }
        if sawOther { throw .unsupportedTransferEncoding }
        if chunkedCount == 0 { throw .malformed("empty Transfer-Encoding") }
        if chunkedCount > 1 { throw .malformed("chunked applied more than once") }
        return .chunked
    }

    /// `Content-Length = 1*DIGIT` (RFC 9110 §8.6); every element of every field must agree.
    /// A value too large for `Int` is ``HTTPParseError/bodyTooLarge``.
    private static func contentLength(_ values: [String]) throws(HTTPParseError) -> Int {
        var result: Int?
        var invalid = false
        var overflow = false  // a value too large for Int, compared as Int.max
        var differing = false
        for value in values {
            forEachListElement(value) { element in
                var length = 0
                guard !element.isEmpty else {
                    invalid = true
                    return
                }
                for byte in element {
                    guard let digit = ASCII.digitValue(byte) else {
                        invalid = true
                        return
                    }
                    let shifted = length.multipliedReportingOverflow(by: 10)
                    let added = shifted.partialValue.addingReportingOverflow(digit)
                    if shifted.overflow || added.overflow {
                        overflow = true
                        length = Int.max
                        break
                    }
                    length = added.partialValue
                }
                if let previous = result, previous != length { differing = true }
                result = length
            }
        }
        if invalid { throw .malformed("invalid Content-Length") }
        if differing { throw .malformed("conflicting Content-Length values") }
        if overflow { throw .bodyTooLarge }
        guard let result else { throw .malformed("invalid Content-Length") }
        return result
    }

    /// Calls `body` with each OWS-trimmed element of a comma-separated list, including empty
    /// ones (callers decide whether those are an error).
    private static func forEachListElement(_ value: String, _ body: (Substring.UTF8View) -> Void) {
        var rest = Substring(value)
        while true {
            let comma = rest.utf8.firstIndex(of: ASCII.comma)
            var element = rest.utf8[..<(comma ?? rest.utf8.endIndex)]
            while let first = element.first, ASCII.isWhitespace(first) { element = element.dropFirst() }
            while let last = element.last, ASCII.isWhitespace(last) { element = element.dropLast() }
            body(element)
            guard let comma else { return }
            rest = rest[rest.utf8.index(after: comma)...]
        }
    }
}
