import Crypto
import HTTPCodec

extension ClientScript {
    /// The script's strong entity tag: the first 16 bytes of its SHA-256, in hex.
    static let etag: String = {
        let digest = SHA256.hash(data: bytes)
        return "\"" + digest.prefix(16).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined() + "\""
    }()

    /// Whether an `If-None-Match` value names this script (a list, `*`, or weak tags compared weakly).
    static func matches(ifNoneMatch value: String) -> Bool {
        value.split(separator: ",").contains { candidate in
            var tag = String(candidate).trimmingASCIIWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            return tag == etag
        }
    }
}
