// Byte-level helpers shared by the parser, the header container and the writer.
// Everything here works on UTF-8 code units so nothing allocates.

/// Byte constants used by the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112 §2).
enum ASCII {
    @inline(__always) static var cr: UInt8 { 0x0D }
    @inline(__always) static var lf: UInt8 { 0x0A }
    @inline(__always) static var sp: UInt8 { 0x20 }
    @inline(__always) static var htab: UInt8 { 0x09 }
    @inline(__always) static var colon: UInt8 { 0x3A }
    @inline(__always) static var comma: UInt8 { 0x2C }
    @inline(__always) static var semicolon: UInt8 { 0x3B }
    @inline(__always) static var questionMark: UInt8 { 0x3F }
    @inline(__always) static var nul: UInt8 { 0x00 }

    /// `tchar` from RFC 9110 §5.6.2: the characters allowed in a token (methods, field names, codings).
    @inline(__always)
    static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
            UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Optional whitespace (`OWS`, RFC 9110 §5.6.3): SP or HTAB.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == sp || byte == htab
    }

    /// ASCII lowercase of one byte; other bytes unchanged.
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        (byte &- UInt8(ascii: "A")) < 26 ? byte | 0x20 : byte
    }

    /// Value of a decimal digit, nil for anything else.
    @inline(__always)
    static func digitValue(_ byte: UInt8) -> Int? {
        let value = byte &- UInt8(ascii: "0")
        return value < 10 ? Int(value) : nil
    }

    /// Value of a hexadecimal digit, nil for anything else (chunk sizes, RFC 9112 §7.1).
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte &- UInt8(ascii: "A") &+ 10)
        default: return nil
        }
    }

    /// ASCII case-insensitive equality of two strings, compared code unit by code unit.
    ///
    /// Field names and tokens are case-insensitive (RFC 9110 §5.1, §5.6.2) but only over ASCII;
    /// a Unicode-aware comparison would be slower and wrong for this purpose.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let x = a.utf8
        let y = b.utf8
        guard x.count == y.count else { return false }
        var i = x.makeIterator()
        var j = y.makeIterator()
        while let p = i.next(), let q = j.next() {
            if p != q && lower(p) != lower(q) { return false }
        }
        return true
    }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 of `string`, writing CR, LF and NUL as SP so that no value can end a line
    /// early (response splitting, RFC 9110 §5.5).
    @inline(__always)
    mutating func appendSanitized(_ string: String) {
        for byte in string.utf8 {
            append(byte == ASCII.cr || byte == ASCII.lf || byte == ASCII.nul ? ASCII.sp : byte)
        }
    }

}
