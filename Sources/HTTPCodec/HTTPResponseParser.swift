/// Incremental, streaming HTTP/1.1 response parser (RFC 9112), for a client or a proxy talking to
/// an upstream server. Bytes are appended as they arrive; events are pulled with ``nextEvent()``.
///
/// The caller tells the parser what it asked (``requestMethod``) before each response, because a
/// response to HEAD has no body whatever its headers say (RFC 9112 §6.3). Interim 1xx responses
/// are reported as a `head` alone (no `end`: they have no body and do not end the exchange), and
/// the final response follows with its own `head`, body and `end`; a `101 Switching Protocols`
/// ends HTTP on the connection: the bytes after it belong to the new protocol
/// (``takeBufferedBytes()``).
///
/// Framing, in the order of RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; `Transfer-Encoding`
/// ending in `chunked` is chunked (Content-Length ignored); any other `Transfer-Encoding` and no
/// framing at all mean the body runs until the server closes (``finishInput()``); otherwise
/// `Content-Length`, whose values must all agree.
///
/// Strictness is the framing core's, shared with ``HTTPRequestParser``: bare LF is accepted in the
/// head but chunked framing requires CRLF, a bare CR is refused anywhere, field lines, chunk sizes
/// and Content-Length are validated alike (``LineScanner``, ``HTTPFieldLine``, ``HTTPBodyDecoder``,
/// ``HTTPMessageFraming``).
///
/// Memory: a head is bounded by `maxHeadBytes`; body bytes are handed out as they arrive and only
/// partial framing lines stay buffered.
public struct HTTPResponseParser: Sendable {
    public enum Event: Sendable, Equatable {
        case head(ResponseHead)
        /// A non-empty piece of the decoded body (chunked framing removed).
        case body([UInt8])
        /// The response is complete (for a close-delimited body: after ``finishInput()``).
        case end
    }

    /// How the current body is delimited.
    public enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    enum State: Sendable {
        case head
        case endPending
        /// Decoding the body.
        case body(HTTPBodyDecoder)
        /// After a 101: nothing more is parsed.
        case switched
        case failed(HTTPResponseParseError)
    }

    /// Longest accepted head (also bounds chunk-size lines and trailers).
    public let maxHeadBytes: Int
    /// The method of the request the next (or current) response answers.
    public var requestMethod = "GET"
    /// The framing of the response being parsed (valid after its head).
    public private(set) var framing = Framing.none

    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Finds the end of the head, and of chunk-size lines and trailers.
    private var scanner = LineScanner()
    private var state = State.head
    private var inputEnded = false

    public init(maxHeadBytes: Int = 64 * 1024) {
        self.maxHeadBytes = maxHeadBytes
    }

    // MARK: Input

    public mutating func append(_ bytes: Span<UInt8>) {
        guard !bytes.isEmpty else { return }
        compact()
        buffer.reserveCapacity(buffer.count + bytes.count)
        for index in bytes.indices { buffer.append(bytes[index]) }
    }

    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        compact()
        if buffer.isEmpty { buffer = bytes } else { buffer.append(contentsOf: bytes) }
    }

    /// The server closed its side: a close-delimited body ends; a response cut short is an error
    /// (reported by the next ``nextEvent()``).
    public mutating func finishInput() {
        inputEnded = true
    }

    /// True between the first byte of a response and its end.
    public var isMidResponse: Bool {
        switch state {
        case .head: readIndex < buffer.count
        case .failed, .switched: false
        default: true
        }
    }

    /// The unparsed bytes (after a 101: the first bytes of the new protocol), emptying the buffer.
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        scanner.reset()
        return rest
    }

    // MARK: Output

    /// The next event, nil when more bytes are needed. Errors are sticky.
    public mutating func nextEvent() throws(HTTPResponseParseError) -> Event? {
        do throws(HTTPResponseParseError) {
            let event = try step()
            if readIndex == buffer.count, readIndex > 0 {
                buffer = []
                readIndex = 0
                scanner.reset()
            }
            return event
        } catch {
            state = .failed(error)
            buffer = []
            readIndex = 0
            scanner.reset()
            throw error
        }
    }

    private mutating func step() throws(HTTPResponseParseError) -> Event? {
        switch state {
        case .failed(let error):
            throw error
        case .switched:
            return nil
        case .head:
            // Empty lines before a status line are tolerated (RFC 9112 §2.2).
            let end =
                scanner.skipEmptyLines(buffer, readIndex: &readIndex)
                ? try HTTPFramingError.mapped(HTTPResponseParseError.init) { () throws(HTTPFramingError) in
                    try scanner.scan(
                        buffer, from: readIndex, untilEmptyLine: true, requireCRLF: false, limit: maxHeadBytes,
                        tooLong: .sectionTooLong)
                } : nil
            guard let end else {
                if inputEnded && readIndex < buffer.count { throw .truncated }
                return nil
            }
            let head = try parseHead(readIndex..<end)
            readIndex = end
            let code = head.status.code
            if (100..<200).contains(code) {
                framing = .none
                state = code == 101 ? .switched : .head
                return .head(head)
            }
            framing = try Self.framing(of: head, requestMethod: requestMethod)
            switch framing {
            case .none, .length(0): state = .endPending
            case .length(let length): start(.length(length))
            case .chunked: start(.chunked)
            case .untilClose: start(.untilClose)
            }
            return .head(head)
        case .endPending:
            state = .head
            return .end
        case .body(var decoder):
            let step = try decoder.next(
                in: buffer, readIndex: &readIndex, scanner: &scanner, bodyLimit: .max, lineLimit: maxHeadBytes,
                inputEnded: inputEnded, mappingErrors: HTTPResponseParseError.init)
            state = .body(decoder)
            switch step {
            case nil: return nil
            case .data(let range): return .body(takeBody(range))
            case .end:
                state = .head
                return .end
            }
        }
    }

    private mutating func start(_ framing: HTTPBodyDecoder.Framing) {
        state = .body(HTTPBodyDecoder(framing))
    }

    /// The bytes of `range`; the whole buffer is handed over without copying.
    private mutating func takeBody(_ range: Range<Int>) -> [UInt8] {
        if range == buffer.indices {
            let whole = buffer
            buffer = []
            readIndex = 0
            return whole
        }
        return Array(buffer[range])
    }

    /// Drops the consumed prefix before appending when it is at least half the buffer.
    private mutating func compact() {
        LineScanner.dropConsumedPrefix(of: &buffer, readIndex: &readIndex)
    }

    // MARK: Head

    private func parseHead(_ range: Range<Int>) throws(HTTPResponseParseError) -> ResponseHead {
        let statusLine = HTTPFieldLine.line(buffer, from: range.lowerBound, before: range.upperBound)
        // HTTP-version SP 3DIGIT SP [reason]  (RFC 9112 §4); a missing SP before an empty reason is tolerated.
        let bytes = buffer[statusLine.content]
        let start = bytes.startIndex
        guard bytes.count >= 12, bytes[start..<(start + 7)].elementsEqual("HTTP/1.".utf8),
            let minor = ASCII.digitValue(bytes[start + 7]), bytes[start + 8] == ASCII.sp
        else { throw .malformed("invalid status line") }
        var code = 0
        for offset in 9..<12 {
            guard let digit = ASCII.digitValue(bytes[start + offset]) else { throw .malformed("invalid status code") }
            code = code * 10 + digit
        }
        guard code >= 100 else { throw .malformed("invalid status code") }
        var reason = ""
        do throws(HTTPFramingError) {
            if bytes.count > 12 {
                guard bytes[start + 12] == ASCII.sp else { throw .malformed("invalid status line") }
                // reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4), as for field values.
                try HTTPFieldLine.checkText(bytes[(start + 13)...], "invalid character in reason phrase")
                reason = String(decoding: bytes[(start + 13)...], as: UTF8.self)
            }
            let fields = try HTTPFieldLine.fields(buffer, from: statusLine.next, before: range.upperBound)
            return ResponseHead(
                status: HTTPStatus(code: code, reason: reason), headers: HTTPHeaders(fields: fields),
                version: minor == 0 ? .http1_0 : .http1_1)
        } catch {
            throw HTTPResponseParseError(error)
        }
    }

    /// The framing of a final response (RFC 9112 §6.3, see ``HTTPMessageFraming``).
    public static func framing(of head: ResponseHead, requestMethod: String) throws(HTTPResponseParseError) -> Framing {
        let framing = try HTTPFramingError.mapped(HTTPResponseParseError.init) { () throws(HTTPFramingError) in
            try HTTPMessageFraming.response(head, requestMethod: requestMethod)
        }
        switch framing {
        case nil: return .none
        case .length(let length): return .length(length)
        case .chunked: return .chunked
        case .untilClose: return .untilClose
        }
    }
}

/// Why an upstream's response could not be parsed.
public enum HTTPResponseParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case headTooLarge
    /// The server closed in the middle of a response.
    case truncated

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed response: \(reason)"
        case .headTooLarge: "response head too large"
        case .truncated: "response cut short"
        }
    }
}
