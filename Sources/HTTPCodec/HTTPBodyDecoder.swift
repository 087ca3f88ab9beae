/// Decodes one message body out of a parser's buffer: Content-Length, chunked (RFC 9112 §7.1) or
/// close-delimited framing. Written once for the request and the response parser.
///
/// The decoder owns no bytes: each call looks at the parser's buffer from `readIndex`, advances
/// `readIndex` past what it consumed and reports body bytes as a range of that buffer, valid until
/// the buffer is next mutated. It borrows the parser's ``LineScanner`` for size lines and trailers
/// (a head and a body are never scanned at once), which keeps it one word and a tag wide.
///
/// Chunked framing is strict: size lines, the CRLF after chunk data and the trailer section need
/// CRLF (a bare LF is refused, see ``LineScanner``). Chunk sizes are hex digits without sign or
/// prefix, leading zeros allowed, checked for overflow; optional whitespace before `;` is
/// tolerated. Chunk extensions and trailer fields are skipped (RFC 9112 §7.1.1, §7.1.2), bounded by
/// the line limit.
struct HTTPBodyDecoder: Sendable {
    /// How the body is delimited (RFC 9112 §6.3).
    enum Framing: Sendable, Equatable {
        case length(Int)
        case chunked
        /// Until the input ends (responses only).
        case untilClose
    }

    /// What ``next(in:readIndex:scanner:bodyLimit:lineLimit:inputEnded:)`` found.
    enum Step: Sendable, Equatable {
        /// Body bytes: a non-empty range of the buffer.
        case data(Range<Int>)
        /// The body is complete (trailers, if any, consumed).
        case end
    }

    enum State: Sendable, Equatable {
        /// Content-Length framing: this many body bytes still to deliver.
        case fixed(remaining: Int)
        /// Scanning a `chunk-size [chunk-ext] CRLF` line.
        case chunkSize
        /// This many bytes of the current chunk still to deliver.
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        /// Skipping the trailer section up to its empty line.
        case trailers
        case untilClose
        /// `.end` was reported.
        case done
    }

    private(set) var state: State

    init(_ framing: Framing) {
        switch framing {
        case .length(let length): state = .fixed(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
    }

    /// Advances by at most one step; nil when more bytes are needed. `scanner` must be reset when
    /// the body starts (it is when it found the end of the head).
    ///
    /// `bodyLimit` is how many more body bytes the caller accepts: a chunk size above it is
    /// ``HTTPFramingError/bodyTooLarge`` before its data arrives. `lineLimit` bounds a chunk-size line
    /// and the trailer section. With `inputEnded`, running out of bytes ends a close-delimited body
    /// and is ``HTTPFramingError/truncated`` for the others.
    /// The next step, with a framing error as the calling parser reports it (`map`).
    mutating func next<Mapped: Error>(
        in buffer: [UInt8], readIndex: inout Int, scanner: inout LineScanner, bodyLimit: Int, lineLimit: Int,
        inputEnded: Bool, mappingErrors map: (HTTPFramingError) -> Mapped
    ) throws(Mapped) -> Step? {
        do {
            return try next(
                in: buffer, readIndex: &readIndex, scanner: &scanner, bodyLimit: bodyLimit, lineLimit: lineLimit,
                inputEnded: inputEnded)
        } catch {
            throw map(error)
        }
    }

    mutating func next(
        in buffer: [UInt8], readIndex: inout Int, scanner: inout LineScanner, bodyLimit: Int, lineLimit: Int,
        inputEnded: Bool
    ) throws(HTTPFramingError) -> Step? {
        /// Where the chunked framing's next line (a chunk-size line, or with `ofSection` the whole
        /// trailer section) ends: CRLF strictly (RFC 9112 §7.1), within `lineLimit`; nil when more
        /// bytes are needed, ``HTTPFramingError/truncated`` when none will come.
        func framingEnd(ofSection section: Bool) throws(HTTPFramingError) -> Int? {
            let end = try scanner.scan(
                buffer, from: readIndex, untilEmptyLine: section, requireCRLF: true, limit: lineLimit,
                tooLong: section ? .sectionTooLong : .chunkLineTooLong)
            if end == nil, inputEnded { throw .truncated }
            return end
        }
        while true {
            let available = buffer.count - readIndex
            switch state {
            case .done:
                return .end

            case .fixed(let remaining):
                guard remaining > 0 else {
                    state = .done
                    return .end
                }
                guard available > 0 else { return try needMore(inputEnded) }
                let count = Swift.min(available, remaining)
                state = .fixed(remaining: remaining - count)
                return .data(take(count, &readIndex))

            case .untilClose:
                if available > 0 { return .data(take(available, &readIndex)) }
                guard inputEnded else { return nil }
                state = .done
                return .end

            case .chunkSize:
                guard let lineEnd = try framingEnd(ofSection: false) else { return nil }
                let size = try Self.chunkSize(buffer, readIndex..<lineEnd)
                readIndex = lineEnd
                if size == 0 {
                    state = .trailers
                } else {
                    guard size <= bodyLimit else { throw .bodyTooLarge }
                    state = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                guard available > 0 else { return try needMore(inputEnded) }
                let count = Swift.min(available, remaining)
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .data(take(count, &readIndex))

            case .chunkDataEnd:
                // chunk-data CRLF (RFC 9112 §7.1), strictly.
                guard available > 0 else { return try needMore(inputEnded) }
                guard buffer[readIndex] == ASCII.cr else { throw .malformed("missing CRLF after chunk data") }
                guard available > 1 else { return try needMore(inputEnded) }
                guard buffer[readIndex + 1] == ASCII.lf else { throw .malformed("missing CRLF after chunk data") }
                readIndex += 2
                state = .chunkSize

            case .trailers:
                // Trailer fields are skipped (RFC 9112 §7.1.2 lets a recipient discard them), but
                // the section is bounded like a head.
                guard let end = try framingEnd(ofSection: true) else { return nil }
                readIndex = end
                state = .done
                return .end
            }
        }
    }

    private func needMore(_ inputEnded: Bool) throws(HTTPFramingError) -> Step? {
        if inputEnded { throw .truncated }
        return nil
    }

    private func take(_ count: Int, _ readIndex: inout Int) -> Range<Int> {
        let range = readIndex..<(readIndex + count)
        readIndex += count
        return range
    }

    /// `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1); `range` is the whole line, CRLF included.
    /// Extensions are skipped without validation beyond the scanner's bare-CR check.
    static func chunkSize(_ buffer: [UInt8], _ range: Range<Int>) throws(HTTPFramingError) -> Int {
        // The scanner required CRLF, so the content ends two bytes before the range does.
        let end = range.upperBound - 2
        var index = range.lowerBound
        var size = 0
        while index < end, let digit = ASCII.hexValue(buffer[index]) {
            let shifted = size.multipliedReportingOverflow(by: 16)
            let added = shifted.partialValue.addingReportingOverflow(digit)
            guard !shifted.overflow, !added.overflow else { throw .malformed("chunk size too large") }
            size = added.partialValue
            index += 1
        }
        guard index > range.lowerBound else { throw .malformed("invalid chunk size") }
        while index < end && ASCII.isWhitespace(buffer[index]) { index += 1 }
        guard index == end || buffer[index] == ASCII.semicolon else { throw .malformed("invalid chunk size") }
        return size
    }
}
