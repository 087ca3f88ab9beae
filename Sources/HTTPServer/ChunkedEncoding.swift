/// HTTP/1.1 chunked framing of a streamed body (RFC 9112 §7.1).
enum ChunkedEncoding {
    /// One chunk: size in hex, CRLF, the bytes, CRLF.
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var framed = Array(String(bytes.count, radix: 16).utf8)
        framed.reserveCapacity(framed.count + bytes.count + 4)
        framed += [13, 10]
        framed += bytes
        framed += [13, 10]
        return framed
    }

    /// The last chunk, with no trailers.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
}
