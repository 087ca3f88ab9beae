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
/// Strictness (RFC 9112 §2.2, §3, §5, §6, §7.1, §11) is the framing core's, shared with
/// ``HTTPResponseParser``: bare LF line endings are accepted in the head, but chunked framing (size
/// lines, the end of chunk data, trailers) requires CRLF (``LineScanner``, ``HTTPBodyDecoder``);
/// a bare CR anywhere is rejected, empty lines before a request line are skipped, obs-fold and
/// whitespace between a field name and its colon are rejected (``HTTPFieldLine``), conflicting
/// framing (Content-Length with Transfer-Encoding, differing Content-Lengths) is rejected, and
/// HTTP/1.1 requires exactly one Host (``HTTPMessageFraming``).
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
        /// Decoding the body.
        case body(HTTPBodyDecoder)
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
    /// Finds the end of the head, and of chunk-size lines and trailers.
    private var scanner = LineScanner()
    private var state: State = .head
    private var pending: PendingBox?

    /// Where the search for the end of the head resumes.
    var scanIndex: Int { readIndex + scanner.scanned }
    #if DEBUG
    /// Bytes the head scanner has examined, so tests can prove 1-byte feeding is linear.
    /// Debug builds only; release builds do not carry it.
    var scannedByteCount: Int { scanner.scannedByteCount }
    #endif

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
        scanner.reset()
        return rest
    }

    // MARK: Buffer management

    /// Drops the consumed prefix when it is at least as large as what remains, so each byte
    /// is moved at most a constant number of times on average.
    private mutating func prepareForAppend() {
        // The scanner's offsets are relative to readIndex and stay valid.
        LineScanner.dropConsumedPrefix(of: &buffer, readIndex: &readIndex)
    }

    /// Releases the buffer's storage once everything in it has been consumed.
    private mutating func releaseIfDrained() {
        guard readIndex == buffer.count, buffer.capacity != 0 else { return }
        buffer = []
        readIndex = 0
        scanner.reset()
    }

    private mutating func fail(_ error: HTTPParseError) {
        state = .failed(error)
        pending = nil
        buffer = []
        readIndex = 0
        scanner.reset()
    }

    // MARK: State machine

    /// Advances by at most one event. `bodyLimit` is how many more body bytes the caller accepts.
    private mutating func step(bodyLimit: Int) throws(HTTPParseError) -> Step? {
        switch state {
        case .failed(let error):
            throw error

        case .head:
            guard scanner.skipEmptyLines(buffer, readIndex: &readIndex) else { return nil }
            let headEnd = try HTTPFramingError.mapped(HTTPParseError.init) { () throws(HTTPFramingError) in
                try scanner.scan(
                    buffer, from: readIndex, untilEmptyLine: true, requireCRLF: false, limit: limits.maxHeadBytes,
                    tooLong: .sectionTooLong)
            }
            guard let headEnd else { return nil }
            let head = try parseHead(readIndex..<headEnd)
            readIndex = headEnd
            switch try HTTPMessageFraming.request(head) {
            case nil, .length(0):
                state = .endPending
                return .head(head, contentLength: nil)
            case .length(let length):
                guard length <= bodyLimit else { throw .bodyTooLarge }
                state = .body(HTTPBodyDecoder(.length(length)))
                return .head(head, contentLength: length)
            case let framing?:
                state = .body(HTTPBodyDecoder(framing))
                return .head(head, contentLength: nil)
            }

        case .endPending:
            state = .head
            return .end

        case .body(var decoder):
            let step = try decoder.next(
                in: buffer, readIndex: &readIndex, scanner: &scanner, bodyLimit: bodyLimit,
                lineLimit: limits.maxHeadBytes, inputEnded: false, mappingErrors: HTTPParseError.init)
            state = .body(decoder)
            switch step {
            case nil: return nil
            case .data(let range): return .body(range)
            case .end:
                state = .head
                return .end
            }
        }
    }

    // MARK: Head parsing

    /// Parses a complete head (request line, field lines, empty line) in `range`.
    private func parseHead(_ range: Range<Int>) throws(HTTPParseError) -> RequestHead {
        // Every line ends in LF: request line + fields + the empty line.
        var lineCount = 0
        for index in range where buffer[index] == ASCII.lf { lineCount += 1 }
        let fieldCount = lineCount - 2
        guard fieldCount <= limits.maxHeaderCount else { throw .headTooLarge }

        let requestLine = HTTPFieldLine.line(buffer, from: range.lowerBound, before: range.upperBound)
        var head = try HTTPRequestLine.parse(buffer, requestLine.content)
        let fields = try HTTPFramingError.mapped(HTTPParseError.init) { () throws(HTTPFramingError) in
            try HTTPFieldLine.fields(buffer, from: requestLine.next, before: range.upperBound, capacity: fieldCount)
        }
        head.headers = HTTPHeaders(fields: fields)
        return head
    }
}
