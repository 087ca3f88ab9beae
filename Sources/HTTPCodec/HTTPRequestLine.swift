/// The request line, `method SP request-target SP HTTP-version` (RFC 9112 §3), out of a buffer
/// the ``LineScanner`` has checked.
enum HTTPRequestLine {
    /// `method SP request-target SP HTTP-version` (RFC 9112 §3), exactly one SP between parts.
    static func parse(_ buffer: [UInt8], _ range: Range<Int>) throws(HTTPParseError) -> RequestHead {
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

        let version = try version(buffer, index..<end)
        return RequestHead(method: method, target: target, version: version)
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT`, case-sensitive (RFC 9112 §2.3).
    ///
    /// 1.x with x ≥ 2 is read as 1.1 (RFC 9110 §2.5); majors ≥ 2 (also written `HTTP/2`, `HTTP/3`)
    /// are ``HTTPParseError/unsupportedVersion``; 0.x and anything else is malformed.
    static func version(_ buffer: [UInt8], _ range: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
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
}
