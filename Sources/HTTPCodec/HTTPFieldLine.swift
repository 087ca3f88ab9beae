/// The lines of a head and its field lines (RFC 9112 §5, RFC 9110 §5.5), parsed out of a
/// buffer the ``LineScanner`` has checked (every CR is followed by LF). Shared by the request and
/// the response parser, so both accept the same fields.
///
/// Refused: obs-fold and whitespace before the first field (RFC 9112 §5.2, §2.2), whitespace
/// between a name and its colon (§5.1, a smuggling vector), names that are not tokens, NUL and
/// other controls in values. obs-text (0x80-0xFF) is allowed; bytes that are not UTF-8 become U+FFFD.
enum HTTPFieldLine {
    /// The content of the line starting at `start` (CRLF or LF stripped) and where the next begins.
    @inline(__always)
    static func line(_ buffer: [UInt8], from start: Int, before end: Int) -> (content: Range<Int>, next: Int) {
        var lf = start
        while lf < end && buffer[lf] != ASCII.lf { lf += 1 }
        var contentEnd = lf
        if contentEnd > start && buffer[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
        return (start..<contentEnd, lf + 1)
    }

    /// The field lines from `start` up to the empty line that ends the head in `buffer[..<end]`.
    static func fields(
        _ buffer: [UInt8], from start: Int, before end: Int, capacity: Int = 0
    ) throws(HTTPFramingError) -> [HTTPHeaders.Element] {
        var fields: [HTTPHeaders.Element] = []
        fields.reserveCapacity(capacity)
        var next = start
        while next < end {
            let fieldLine = line(buffer, from: next, before: end)
            next = fieldLine.next
            if fieldLine.content.isEmpty { break }
            fields.append(try field(buffer, fieldLine.content, isFirst: fields.isEmpty))
        }
        return fields
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5, RFC 9110 §5.5); `range` is not empty.
    static func field(
        _ buffer: [UInt8], _ range: Range<Int>, isFirst: Bool
    ) throws(HTTPFramingError) -> HTTPHeaders.Element {
        let start = range.lowerBound
        let end = range.upperBound
        if ASCII.isWhitespace(buffer[start]) {
            throw .malformed(isFirst ? "whitespace before first header field" : "obs-fold not allowed")
        }
        var colon = start
        while colon < end && buffer[colon] != ASCII.colon { colon += 1 }
        guard colon < end else { throw .malformed("missing colon in header field") }
        guard colon > start else { throw .malformed("empty header name") }
        for index in start..<colon where !ASCII.isTokenChar(buffer[index]) {
            let onlyWhitespaceFollows = (index..<colon).allSatisfy { ASCII.isWhitespace(buffer[$0]) }
            throw .malformed(onlyWhitespaceFollows ? "whitespace before colon" : "invalid header name")
        }
        let name = String(decoding: buffer[start..<colon], as: UTF8.self)

        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd && ASCII.isWhitespace(buffer[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && ASCII.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
        try checkText(buffer[valueStart..<valueEnd], "invalid character in header value")
        return (name: name, value: String(decoding: buffer[valueStart..<valueEnd], as: UTF8.self))
    }

    /// field-vchar / SP / HTAB / obs-text (also the reason phrase's grammar, RFC 9112 §4): no NUL
    /// (RFC 9110 §5.5 says reject or replace), no other controls, no DEL.
    @inline(__always)
    static func checkText(_ bytes: ArraySlice<UInt8>, _ reason: String) throws(HTTPFramingError) {
        for byte in bytes where (byte < ASCII.sp && byte != ASCII.htab) || byte == 0x7F {
            throw .malformed(reason)
        }
    }
}
