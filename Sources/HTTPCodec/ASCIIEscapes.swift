/// A table of replacements for ASCII bytes: the one loop under every escaping the broker writes
/// (HTML text, JSON strings), each of which is only its table.
///
/// Works on UTF-8 code units: a byte with a replacement is written as it, every other byte (and
/// every byte of a multi-byte sequence, which never has one) as it is, so the result is valid
/// UTF-8 whenever the text was.
public struct ASCIIEscapes: Sendable {
    /// 128 entries, one for each ASCII byte; nil: copied as it is.
    private let replacements: [[UInt8]?]

    /// The table `replacement` gives: a string for each byte that is escaped, nil for the rest.
    public init(_ replacement: (UInt8) -> String?) {
        replacements = (0..<128).map { replacement(UInt8($0)).map { Array($0.utf8) } }
    }

    /// `text` with every byte of the table replaced.
    public func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x80 && replacements[Int($0)] != nil }) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            if byte < 0x80, let replacement = replacements[Int(byte)] {
                result += replacement
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
