/// How a message's body is delimited (RFC 9112 §6.3), decided from its head — the one place the
/// request and the response parser read Content-Length and Transfer-Encoding.
///
/// Content-Length (RFC 9110 §8.6) is `1*DIGIT` in every element of every field: no sign, no
/// empty element, leading zeros allowed; the values must all agree (`42, 42` is accepted as §6.3
/// allows); a value too large for `Int` is ``HTTPFramingError/contentLengthTooLarge``.
/// Transfer-Encoding is a list of codings; empty list elements are ignored (RFC 9110 §5.6.1).
/// Requests and responses differ only where RFC 9112 §6.3 makes them: a request with a coding
/// other than one final `chunked` is refused, a response with one is read until close.
enum HTTPMessageFraming {
    /// A request's framing, with the Host checks of RFC 9112 §3.2.
    ///
    /// Rejected as request smuggling vectors (§6.1, §6.3, §11.2): Content-Length together with
    /// Transfer-Encoding, Transfer-Encoding in HTTP/1.0, differing Content-Length values.
    /// Anything but one final `chunked` is ``HTTPParseError/unsupportedTransferEncoding`` (501) —
    /// including a `chunked` that is not last, which §6.3 would answer with 400; either way the
    /// connection is closed. `chunked` applied twice is malformed (§6.1).
    static func request(_ head: RequestHead) throws(HTTPParseError) -> HTTPBodyDecoder.Framing? {
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
            let codings = transferCodings(head.headers.values("Transfer-Encoding"))
            if codings.others > 0 { throw .unsupportedTransferEncoding }
            if codings.chunked == 0 { throw .malformed("empty Transfer-Encoding") }
            if codings.chunked > 1 { throw .malformed("chunked applied more than once") }
            return .chunked
        }
        if hasContentLength {
            do throws(HTTPFramingError) {
                return .length(try contentLength(head.headers.values("Content-Length")))
            } catch {
                throw HTTPParseError(error)
            }
        }
        return nil
    }

    /// A final response's framing (nil: no body), in the order of RFC 9112 §6.3: no body for HEAD,
    /// 1xx, 204 and 304; Transfer-Encoding whose last coding is `chunked` is chunked (Content-Length
    /// ignored); any other coding, and no framing at all, run until close; else Content-Length.
    static func response(
        _ head: ResponseHead, requestMethod: String
    ) throws(HTTPFramingError) -> HTTPBodyDecoder.Framing? {
        let code = head.status.code
        if requestMethod == "HEAD" || (100..<200).contains(code) || code == 204 || code == 304 { return nil }
        let codings = head.headers.values("Transfer-Encoding")
        if !codings.isEmpty {
            return transferCodings(codings).lastIsChunked ? .chunked : .untilClose
        }
        let lengths = head.headers.values("Content-Length")
        if lengths.isEmpty { return .untilClose }
        return .length(try contentLength(lengths))
    }

    /// What a Transfer-Encoding list holds: how many `chunked` (ASCII case-insensitive) and other
    /// codings, and whether the last non-empty element is `chunked`.
    static func transferCodings(_ values: [String]) -> (chunked: Int, others: Int, lastIsChunked: Bool) {
        var chunked = 0
        var others = 0
        var lastIsChunked = false
        for value in values {
            forEachListElement(value) { element in
                if element.isEmpty { return }
                lastIsChunked = element.elementsEqual("chunked".utf8, by: { ASCII.lower($0) == $1 })
                if lastIsChunked { chunked += 1 } else { others += 1 }
            }
        }
        return (chunked, others, lastIsChunked)
    }

    /// `Content-Length = 1*DIGIT` (RFC 9110 §8.6); every element of every field must agree.
    /// Errors, in this order: an invalid element, differing values, a value too large for `Int`.
    static func contentLength(_ values: [String]) throws(HTTPFramingError) -> Int {
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
        if overflow { throw .contentLengthTooLarge }
        guard let result else { throw .malformed("invalid Content-Length") }
        return result
    }

    /// Calls `body` with each OWS-trimmed element of a comma-separated list, including empty
    /// ones (callers decide whether those are an error).
    static func forEachListElement(_ value: String, _ body: (Substring.UTF8View) -> Void) {
        var rest = Substring(value)
        while true {
            let comma = rest.utf8.firstIndex(of: ASCII.comma)
            let element = ASCII.trimmingWhitespace(rest.utf8[..<(comma ?? rest.utf8.endIndex)])
            body(element)
            guard let comma else { return }
            rest = rest[rest.utf8.index(after: comma)...]
        }
    }
}
