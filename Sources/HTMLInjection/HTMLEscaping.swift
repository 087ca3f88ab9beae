/// Escaping text for HTML, written once for every page the broker writes itself (the proxy's
/// waiting page, directory listings, error pages).
public enum HTMLEscaping {
    /// `text` with `&`, `<`, `>`, `"` and `'` written as character references, so it is safe in
    /// element content and in attribute values quoted either way.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
