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
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
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
    private var scanIndex = 0
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
        scanIndex = 0
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
                scanIndex = 0
            }
            return event
        } catch {
            state = .failed(error)
            buffer = []
            readIndex = 0
            scanIndex = 0
            throw error
        }
    }

    private mutating func step() throws(HTTPResponseParseError) -> Event? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .switched:
                return nil
            case .head:
                // Empty lines before a status line are tolerated (RFC 9112 §2.2).
                while readIndex < buffer.count, buffer[readIndex] == ASCII.cr || buffer[readIndex] == ASCII.lf {
                    if buffer[readIndex] == ASCII.cr {
                        guard readIndex + 1 < buffer.count else { break }
                        guard buffer[readIndex + 1] == ASCII.lf else { throw .malformed("bare CR") }
                    }
                    readIndex += 1
                    scanIndex = max(scanIndex, readIndex)
                }
                guard let end = try scanLine(emptyLine: true) else {
                    if inputEnded {
                        if readIndex < buffer.count { throw .truncated }
                        return nil
                    }
                    return nil
                }
                let head = try parseHead(readIndex..<end)
                readIndex = end
                scanIndex = end
                let code = head.status.code
                if (100..<200).contains(code) {
                    framing = .none
                    state = code == 101 ? .switched : .head
                    return .head(head)
                }
                framing = try Self.framing(of: head, requestMethod: requestMethod)
                switch framing {
                case .none, .length(0): state = .endPending
                case .length(let length): state = .fixed(remaining: length)
                case .chunked: state = .chunkSize
                case .untilClose: state = .untilClose
                }
                return .head(head)
            case .endPending:
                state = .head
                return .end
            case .fixed(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else {
                    if inputEnded { throw .truncated }
                    return nil
                }
                let count = min(available, remaining)
                let piece = takeBody(count)
                state = count == remaining ? .endPending : .fixed(remaining: remaining - count)
                return .body(piece)
            case .untilClose:
                if readIndex < buffer.count { return .body(takeBody(buffer.count - readIndex)) }
                guard inputEnded else { return nil }
                state = .head
                return .end
            case .chunkSize:
                guard let end = try scanLine(emptyLine: false) else {
                    if inputEnded { throw .truncated }
                    return nil
                }
                let size = try parseChunkSize(readIndex..<end)
                readIndex = end
                scanIndex = end
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else {
                    if inputEnded { throw .truncated }
                    return nil
                }
                let count = min(available, remaining)
                let piece = takeBody(count)
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(piece)
            case .chunkDataEnd:
                let available = buffer.count - readIndex
                guard available > 0 else {
                    if inputEnded { throw .truncated }
                    return nil
                }
                if buffer[readIndex] == ASCII.lf {
                    readIndex += 1
                } else if buffer[readIndex] == ASCII.cr {
                    guard available > 1 else {
                        if inputEnded { throw .truncated }
                        return nil
                    }
                    guard buffer[readIndex + 1] == ASCII.lf else { throw .malformed("bare CR") }
                    readIndex += 2
                } else {
                    throw .malformed("missing CRLF after chunk data")
                }
                scanIndex = readIndex
                state = .chunkSize
            case .trailers:
                // Skip trailer fields up to the empty line (a bare empty line when there are none).
                guard let end = try scanLine(emptyLine: true, atLineStart: true) else {
                    if inputEnded { throw .truncated }
                    return nil
                }
                readIndex = end
                scanIndex = end
                state = .endPending
            }
        }
    }

    private mutating func takeBody(_ count: Int) -> [UInt8] {
        let range = readIndex..<(readIndex + count)
        readIndex += count
        scanIndex = readIndex
        if range == buffer.indices {
            let whole = buffer
            buffer = []
            readIndex = 0
            scanIndex = 0
            return whole
        }
        return Array(buffer[range])
    }

    /// Drops the consumed prefix before appending when it is at least half the buffer.
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer = []
        } else if readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }

    /// Finds the end of a line (or, with `emptyLine`, of the section ending in an empty line) from
    /// `readIndex`; resumes from `scanIndex`. Returns the index just past the final LF.
    private mutating func scanLine(emptyLine: Bool, atLineStart: Bool = false) throws(HTTPResponseParseError) -> Int? {
        var index = max(scanIndex, readIndex)
        let end = buffer.count
        // Only the first maxHeadBytes are searched, so a section too long is refused whether it
        // came in one read or in pieces (written so that a limit of Int.max cannot overflow).
        let windowEnd = end - readIndex > maxHeadBytes ? readIndex + maxHeadBytes : end
        while index < windowEnd {
            let byte = buffer[index]
            if byte == ASCII.lf {
                if !emptyLine { return index + 1 }
                // An empty line: LF right after the previous LF (or CRLF), or at the section start.
                let lineStart: Int = {
                    if index == readIndex { return readIndex }
                    if index >= 1, buffer[index - 1] == ASCII.cr { return index - 1 }
                    return index
                }()
                if lineStart == readIndex || buffer[lineStart - 1] == ASCII.lf { return index + 1 }
            } else if byte == ASCII.cr {
                guard index + 1 < end else { break }
                guard buffer[index + 1] == ASCII.lf else { throw .malformed("bare CR") }
            }
            index += 1
        }
        scanIndex = index
        if end - readIndex > maxHeadBytes { throw .headTooLarge }
        return nil
    }

    // MARK: Head

    private func lines(_ range: Range<Int>) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = range.lowerBound
        var index = start
        while index < range.upperBound {
            if buffer[index] == ASCII.lf {
                var contentEnd = index
                if contentEnd > start, buffer[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
                result.append(buffer[start..<contentEnd])
                start = index + 1
            }
            index += 1
        }
        return result
    }

    private func parseHead(_ range: Range<Int>) throws(HTTPResponseParseError) -> ResponseHead {
        var all = lines(range)
        guard !all.isEmpty else { throw .malformed("empty head") }
        if all.last?.isEmpty == true { all.removeLast() }
        let statusLine = all.removeFirst()
        // HTTP-version SP 3DIGIT SP [reason]  (RFC 9112 §4); a missing SP before an empty reason is tolerated.
        let bytes = Array(statusLine)
        let prefix = Array("HTTP/1.".utf8)
        guard bytes.count >= 12, Array(bytes[0..<7]) == prefix, let minor = ASCII.digitValue(bytes[7]),
            bytes[8] == ASCII.sp
        else { throw .malformed("invalid status line") }
        var code = 0
        for offset in 9..<12 {
            guard let digit = ASCII.digitValue(bytes[offset]) else { throw .malformed("invalid status code") }
            code = code * 10 + digit
        }
        guard code >= 100 else { throw .malformed("invalid status code") }
        var reason = ""
        if bytes.count > 12 {
            guard bytes[12] == ASCII.sp else { throw .malformed("invalid status line") }
            // reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4), as for field values.
            for byte in bytes[13...] where (byte < ASCII.sp && byte != ASCII.htab) || byte == 0x7F {
                throw .malformed("invalid character in reason phrase")
            }
            reason = String(decoding: bytes[13...], as: UTF8.self)
        }
        var headers = HTTPHeaders()
        for line in all {
            guard let first = line.first else { continue }
            if first == ASCII.sp || first == ASCII.htab { throw .malformed("obs-fold not allowed") }
            guard let colon = line.firstIndex(of: ASCII.colon), colon > line.startIndex else {
                throw .malformed("invalid header field")
            }
            for byte in line[..<colon] where !ASCII.isTokenChar(byte) { throw .malformed("invalid header name") }
            var value = line[(colon + 1)...]
            while let head = value.first, ASCII.isWhitespace(head) { value = value.dropFirst() }
            while let tail = value.last, ASCII.isWhitespace(tail) { value = value.dropLast() }
            for byte in value where (byte < ASCII.sp && byte != ASCII.htab) || byte == 0x7F {
                throw .malformed("invalid character in header value")
            }
            headers.add(String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        return ResponseHead(
            status: HTTPStatus(code: code, reason: reason), headers: headers,
            version: minor == 0 ? .http1_0 : .http1_1)
    }

    /// The framing of a final response (RFC 9112 §6.3).
    public static func framing(of head: ResponseHead, requestMethod: String) throws(HTTPResponseParseError) -> Framing {
        let code = head.status.code
        if requestMethod == "HEAD" || (100..<200).contains(code) || code == 204 || code == 304 { return .none }
        let codings = head.headers.values("Transfer-Encoding")
        if !codings.isEmpty {
            // Empty list elements are ignored (RFC 9110 §5.6.1).
            let last = codings.joined(separator: ",").split(separator: ",")
                .map { $0.trimmingASCIIWhitespace() }.last { !$0.isEmpty }?.lowercased()
            return last == "chunked" ? .chunked : .untilClose
        }
        let lengths = head.headers.values("Content-Length")
        if lengths.isEmpty { return .untilClose }
        var result: Int?
        for value in lengths {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = element.trimmingASCIIWhitespace()
                guard !text.isEmpty, text.utf8.allSatisfy({ ASCII.digitValue($0) != nil }), text.utf8.count <= 18,
                    let length = Int(text)
                else { throw .malformed("invalid Content-Length") }
                if let result, result != length { throw .malformed("conflicting Content-Length values") }
                result = length
            }
        }
        return .length(result!)
    }

    private func parseChunkSize(_ range: Range<Int>) throws(HTTPResponseParseError) -> Int {
        var index = range.lowerBound
        var size = 0
        var digits = 0
        while index < range.upperBound, let digit = ASCII.hexValue(buffer[index]) {
            digits += 1
            guard digits <= 15 else { throw .malformed("chunk size too large") }
            size = size * 16 + digit
            index += 1
        }
        guard digits > 0 else { throw .malformed("invalid chunk size") }
        while index < range.upperBound, ASCII.isWhitespace(buffer[index]) { index += 1 }
        guard index < range.upperBound else { throw .malformed("invalid chunk size") }
        let next = buffer[index]
        guard next == ASCII.semicolon || next == ASCII.cr || next == ASCII.lf else {
            throw .malformed("invalid chunk size")
        }
        return size
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

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        var utf8 = Substring(self).utf8[...]
        while let first = utf8.first, ASCII.isWhitespace(first) { utf8 = utf8.dropFirst() }
        while let last = utf8.last, ASCII.isWhitespace(last) { utf8 = utf8.dropLast() }
        return String(Substring(utf8))
    }
}
