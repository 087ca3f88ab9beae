/// Percent-decoding (RFC 3986 §2.1) of URL parts, written once: request paths, query values,
/// Redis URL userinfo.
public enum PercentEncoding {
    /// `text` with every `%XX` (two hex digits, either case) replaced by its byte; nil when a `%`
    /// is not followed by two hex digits. Other bytes, `+` included, are kept.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(ASCII.hexValue), let low = iterator.next().flatMap(ASCII.hexValue)
            else { return nil }
            bytes.append(UInt8(high << 4 | low))
        }
        return bytes
    }

    /// A query (form) name or value (`application/x-www-form-urlencoded`): `+` is a space, `%XX` its
    /// byte, and a `%` without two hex digits after it is kept as is; bytes that are not UTF-8
    /// become U+FFFD. Never fails.
    public static func decodeFormValue(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var utf8 = Substring(text).utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), let high = utf8.first.flatMap(ASCII.hexValue),
                let low = utf8.dropFirst().first.flatMap(ASCII.hexValue)
            {
                bytes.append(UInt8(high << 4 | low))
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
