// Byte-level helpers shared by the parsers, the header container, the writers and every other
// module (trimming and case folding are written once, here). Everything works on UTF-8 code units.

/// Byte constants and ASCII helpers of the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112 §2).
///
/// HTTP tokens, field names and HTML tag names are case-insensitive only over ASCII, and optional
/// whitespace is only SP and HTAB: a Unicode-aware comparison or trim would be slower and wrong here.
public enum ASCII {
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
    @inlinable @inline(__always)
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    /// ASCII lowercase of one byte; other bytes unchanged.
    @inlinable @inline(__always)
    public static func lower(_ byte: UInt8) -> UInt8 {
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
    public static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
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

    /// ASCII case-insensitive equality of UTF-8 bytes and a string (`lower` on both sides).
    @inlinable
    public static func equalsIgnoringCase<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ string: String) -> Bool {
        bytes.elementsEqual(string.utf8) { lower($0) == lower($1) }
    }

    /// `bytes` without the optional whitespace (SP, HTAB) at either end (RFC 9110 §5.5, §5.6.3).
    @inlinable
    public static func trimmingWhitespace<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        var slice = bytes[...]
        while let first = slice.first, isWhitespace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isWhitespace(last) { slice = slice.dropLast() }
        return slice
    }

    /// `string` with its ASCII capitals lowercased; every other character unchanged.
    public static func lowercased(_ string: some StringProtocol) -> String {
        String(decoding: string.utf8.map(lower), as: UTF8.self)
    }
}

extension StringProtocol {
    /// The string without SP and HTAB at either end (optional whitespace, RFC 9110 §5.6.3); other
    /// whitespace (CR, LF, Unicode spaces) is kept.
    public func trimmingASCIIWhitespace() -> String {
        String(Substring(ASCII.trimmingWhitespace(Substring(self).utf8)))
    }

    /// The string with ASCII capitals lowercased, for tokens, schemes and host names.
    public func asciiLowercased() -> String {
        ASCII.lowercased(self)
    }

    /// ASCII case-insensitive equality (tokens, field names).
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        ASCII.equalsIgnoringCase(utf8, String(other))
    }

    /// Whether the string starts with `prefix`, ASCII case-insensitively.
    public func hasPrefixIgnoringASCIICase(_ prefix: some StringProtocol) -> Bool {
        utf8.count >= prefix.utf8.count && ASCII.equalsIgnoringCase(utf8.prefix(prefix.utf8.count), String(prefix))
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
