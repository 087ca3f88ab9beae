/// The chunked transfer coding (RFC 9112 §7.1) written once, for every sender of a body whose
/// length is not known up front (the server's streamed responses, the proxy's request bodies).
///
/// Stateless: send the head with `Transfer-Encoding: chunked`, then ``chunk(_:)`` for each piece
/// of the body, then ``lastChunk``. Sizes are lowercase hex without leading zeros; no chunk
/// extensions, no trailers.
public enum HTTPChunkedWriter {
    /// `last-chunk` and the empty trailer section: `0\r\n\r\n`, which ends a chunked body.
    public static let lastChunk: [UInt8] = [0x30, ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf]

    /// `chunk-size CRLF chunk-data CRLF` for `data`; empty for empty data, since a chunk of size 0
    /// would end the body.
    public static func chunk(_ data: [UInt8]) -> [UInt8] {
        guard !data.isEmpty else { return [] }
        var bytes = sizeLine(data.count)
        bytes.reserveCapacity(bytes.count + data.count + 2)
        bytes.append(contentsOf: data)
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
        return bytes
    }

    /// `chunk-size CRLF` for a chunk of `count` bytes.
    static func sizeLine(_ count: Int) -> [UInt8] {
        Array(String(count, radix: 16).utf8) + [ASCII.cr, ASCII.lf]
    }
}
