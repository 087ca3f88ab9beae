import HTTPCodec

/// Escaping text for HTML, written once for every page the broker writes itself (the proxy's
/// waiting page, directory listings, error pages).
public enum HTMLEscaping {
    /// `&`, `<`, `>`, `"` and `'` as character references: safe in element content and in
    /// attribute values quoted either way.
    private static let references = ASCIIEscapes { byte in
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` written as character references, so it is safe in
    /// element content and in attribute values quoted either way.
    public static func escape(_ text: String) -> String {
        references.escape(text)
    }
}
