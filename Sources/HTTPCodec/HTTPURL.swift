/// An `http://host[:port][/path]` URL as the command line takes it (`--url`, `--upstream`): the
/// one parser of that form. No userinfo, query or fragment handling, no percent-decoding.
///
/// The host is a name or an IPv4 literal, or an IPv6 literal in brackets (kept without them); the
/// port defaults to 80 and must be 1...65535; the path keeps what follows the authority, trailing
/// `/` removed (so `http://h:1/` has an empty path).
public struct HTTPURL: Sendable, Equatable {
    /// The host, without the brackets of an IPv6 literal.
    public var host: String
    public var port: Int
    /// What follows the authority, without trailing `/`; empty for none.
    public var path: String
    /// The authority as written (`[::1]:8080`), for a Host header.
    public var authority: String

    /// nil unless `text` is `http://` followed by a valid authority.
    public init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        let rest = text.dropFirst(7)
        let authority = rest.prefix { $0 != "/" }
        var path = rest[authority.endIndex...]
        while path.hasSuffix("/") { path = path.dropLast() }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let first = parts.first, !first.isEmpty else { return nil }
            host = String(first)
            portText = parts.count == 2 ? parts[1] : nil
        }
        port = portText.map { Int($0) ?? -1 } ?? 80
        guard (1...65535).contains(port) else { return nil }
        self.path = String(path)
        self.authority = String(authority)
    }
}
