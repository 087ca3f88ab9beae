/// Builds wire frames (RFC 6455 §5.2). Server frames go out unmasked (§5.1);
/// pass a masking key to build client frames (§5.3).
public enum WebSocketFrameEncoder {
    /// One frame: FIN/opcode byte, mask bit and 7-, 16- or 64-bit payload length
    /// (the shortest that fits, §5.2), the masking key if any, then the payload
    /// (masked with the key when given, §5.3).
    ///
    /// Control frames (close, ping, pong) must have `fin` set and at most 125
    /// payload bytes (§5.5); that is the caller's duty here — the `close` and
    /// `pong` helpers keep it.
    public static func frame(
        opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(14 + payload.count)
        bytes.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        let count = payload.count
        if count < 126 {
            bytes.append(maskBit | UInt8(count))
        } else if count <= 0xFFFF {
            bytes.append(maskBit | 126)
            bytes.append(UInt8(truncatingIfNeeded: count >> 8))
            bytes.append(UInt8(truncatingIfNeeded: count))
        } else {
            bytes.append(maskBit | 127)
            let length = UInt64(count)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
        guard let key = maskingKey else {
            bytes.append(contentsOf: payload)
            return bytes
        }
        bytes.append(key.0)
        bytes.append(key.1)
        bytes.append(key.2)
        bytes.append(key.3)
        let start = bytes.count
        bytes.append(contentsOf: payload)
        let packed = UInt32(key.0) << 24 | UInt32(key.1) << 16 | UInt32(key.2) << 8 | UInt32(key.3)
        WebSocketParser.unmask(&bytes, from: start, key: packed, offset: 0)  // XOR masks and unmasks alike
        return bytes
    }

    /// A single-frame text message (§5.6).
    public static func text(_ text: String, maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil) -> [UInt8] {
        frame(opcode: .text, payload: Array(text.utf8), maskingKey: maskingKey)
    }

    /// A single-frame binary message (§5.6).
    public static func binary(_ payload: [UInt8], maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil) -> [UInt8] {
        frame(opcode: .binary, payload: payload, maskingKey: maskingKey)
    }

    /// A close frame (§5.5.1): the 2-byte status code and the UTF-8 reason, the
    /// reason truncated at a UTF-8 boundary so the payload fits 125 bytes (§5.5).
    /// With a nil code the payload is empty and `reason` is ignored (a reason may
    /// only follow a code).
    public static func close(
        code: CloseCode?, reason: String = "", maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        var payload: [UInt8] = []
        if let code {
            payload.reserveCapacity(125)
            payload.append(UInt8(truncatingIfNeeded: code.rawValue >> 8))
            payload.append(UInt8(truncatingIfNeeded: code.rawValue))
            let utf8 = reason.utf8
            var cut = utf8.index(utf8.startIndex, offsetBy: 123, limitedBy: utf8.endIndex) ?? utf8.endIndex
            // Back off to the start of a scalar: never cut inside a UTF-8 sequence.
            while cut != utf8.endIndex, cut != utf8.startIndex, utf8[cut] & 0xC0 == 0x80 {
                cut = utf8.index(before: cut)
            }
            payload.append(contentsOf: utf8[..<cut])
        }
        return frame(opcode: .close, payload: payload, maskingKey: maskingKey)
    }

    /// A pong answering a ping (§5.5.3: same payload), unmasked (server side).
    /// A payload over 125 bytes is cut to 125, the most a control frame carries (§5.5);
    /// a parsed ping never has more.
    public static func pong(_ payload: [UInt8]) -> [UInt8] {
        frame(opcode: .pong, payload: Array(payload.prefix(125)))
    }

    /// A ping (§5.5.2), payload cut to 125 bytes like `pong`.
    public static func ping(_ payload: [UInt8] = [], maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil) -> [UInt8] {
        frame(opcode: .ping, payload: Array(payload.prefix(125)), maskingKey: maskingKey)
    }

    /// A fresh masking key for client frames (§5.3: "unpredictable").
    public static func makeMaskingKey<G: RandomNumberGenerator>(using generator: inout G) -> (UInt8, UInt8, UInt8, UInt8) {
        let bits = generator.next() as UInt32
        return (
            UInt8(truncatingIfNeeded: bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
            UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)
        )
    }
}
