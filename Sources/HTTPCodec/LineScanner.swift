/// Finds the end of a line, or of a section ending in an empty line (a head, a trailer section),
/// in a buffer that grows between calls. Shared by the request and the response parser.
///
/// Resumable and O(n): the scan resumes where the last call stopped. Offsets are kept relative
/// to the caller's read index, which does not move while a line is being scanned, so the caller
/// may drop its consumed prefix (shifting every index) without telling the scanner.
///
/// Strictness (RFC 9112 §2.2, §7.1): every CR must be followed by LF — a bare CR is refused here,
/// once, for the whole section, so line parsers never see one. Bare LF ends a line unless
/// `requireCRLF` is set (chunked framing: recipients that disagree on a bare LF there can be made
/// to split one body differently, a request-smuggling shape).
struct LineScanner: Sendable {
    /// Bytes past the read index already examined.
    private(set) var scanned = 0
    /// Start of the line being scanned, relative to the read index.
    private var lineStart = 0
    #if DEBUG
    /// Bytes examined over the scanner's life, so tests can prove 1-byte feeding is linear.
    private(set) var scannedByteCount = 0
    #endif

    init() {}

    /// Forgets the partial scan (the caller moved its read index).
    mutating func reset() {
        scanned = 0
        lineStart = 0
    }

    /// Resumes the search for the end of the line (or, with `untilEmptyLine`, of the section)
    /// starting at `start`. Returns the index just past the terminating LF and resets, nil when
    /// more bytes are needed. Throws `tooLong` once more than `limit` bytes from `start` hold no
    /// end (only the first `limit` bytes are searched, so the result does not depend on how the
    /// bytes were cut).
    mutating func scan(
        _ buffer: [UInt8], from start: Int, untilEmptyLine: Bool, requireCRLF: Bool, limit: Int,
        tooLong: HTTPFramingError
    ) throws(HTTPFramingError) -> Int? {
        let end = buffer.count
        // Written so that a limit of Int.max cannot overflow.
        let windowEnd = end - start > limit ? start + limit : end
        var index = start + scanned
        var lineStart = start + self.lineStart
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
                    reset()
                    return index + 1
                }
                lineStart = index + 1
            } else if byte == ASCII.cr {
                guard index + 1 < end else { break }  // undecided until the next byte arrives
                guard buffer[index + 1] == ASCII.lf else { throw .malformed("bare CR") }
            }
            index += 1
        }
        scanned = index - start
        self.lineStart = lineStart - start
        if end - start > limit { throw tooLong }
        return nil
    }

    /// Skips CRLF / LF lines before a start line (RFC 9112 §2.2), advancing `readIndex`; only
    /// before any byte of the line has been scanned. Returns false when a CR at the end of the
    /// buffer leaves it undecided. A CR followed by anything but LF is left for ``scan`` to refuse.
    mutating func skipEmptyLines(_ buffer: [UInt8], readIndex: inout Int) -> Bool {
        guard scanned == 0 else { return true }
        while readIndex < buffer.count {
            let byte = buffer[readIndex]
            if byte == ASCII.lf {
                readIndex += 1
            } else if byte == ASCII.cr {
                guard readIndex + 1 < buffer.count else { return false }
                guard buffer[readIndex + 1] == ASCII.lf else { break }
                readIndex += 2
            } else {
                break
            }
        }
        return true
    }

    /// Drops a parser buffer's consumed prefix `buffer[..<readIndex]` when it is at least as large
    /// as what remains (so each byte is moved a constant number of times on average), then sets
    /// `readIndex` to 0. Scanner offsets stay valid: they are relative to `readIndex`.
    static func dropConsumedPrefix(of buffer: inout [UInt8], readIndex: inout Int) {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer = []
        } else if readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        readIndex = 0
    }
}
