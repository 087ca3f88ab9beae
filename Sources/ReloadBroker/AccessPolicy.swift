/// Who may talk to the broker: the DNS-rebinding and cross-site defences, as pure decisions.
///
/// - `Host` (every request): loopback names (`localhost`, `*.localhost`), any IP
///   literal (DNS rebinding needs a host *name*; an IP literal cannot be rebound),
///   and configured names. Requests without `Host` (HTTP/1.0 tools) pass.
/// - `Origin` (WebSocket upgrades; trigger `POST`s when present): loopback origins
///   on any port over http or https (the app's page is often on another port than
///   the broker), origins whose host is an allowed name, and configured origins.
///   The opaque origin `null` is refused.
struct AccessPolicy: Sendable {
    let allowedHosts: [String]
    let allowedOrigins: [String]
    let allowsAnyHost: Bool
    let allowsAnyOrigin: Bool

    init(allowedHosts: [String], allowedOrigins: [String]) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
        self.allowedOrigins = allowedOrigins.map { Self.normalizedOrigin($0) }
        allowsAnyHost = allowedHosts.contains("*")
        allowsAnyOrigin = allowedOrigins.contains("*")
    }

    /// Whether a request with this `Host` header value may be answered.
    func allowsHost(_ header: String?) -> Bool {
        guard let header else { return true }
        if allowsAnyHost { return true }
        guard let name = Self.hostName(fromAuthority: header) else { return false }
        return Self.isIPLiteral(name) || Self.isLoopbackName(name) || isAllowedName(name)
    }

    /// Whether a browser page of this origin may open a socket or trigger.
    func allowsOrigin(_ origin: String) -> Bool {
        if allowsAnyOrigin { return true }
        let normalized = Self.normalizedOrigin(origin)
        if allowedOrigins.contains(normalized) { return true }
        guard let schemeEnd = normalized.firstRange(of: "://") else { return false }
        let scheme = normalized[..<schemeEnd.lowerBound]
        guard scheme == "http" || scheme == "https" else { return false }
        guard let name = Self.hostName(fromAuthority: String(normalized[schemeEnd.upperBound...])) else { return false }
        return Self.isLoopbackName(name) || Self.isLoopbackIP(name) || isAllowedName(name)
    }

    /// A browser extension's own origin (`chrome-extension://…`, `moz-extension://…`,
    /// `safari-web-extension://…`): the LiveReload extensions probe and connect from there.
    /// Only LiveReload sockets take it; a web page can never have such an origin.
    static func isBrowserExtensionOrigin(_ origin: String) -> Bool {
        let value = origin.lowercased()
        return ["chrome-extension://", "moz-extension://", "safari-web-extension://"].contains { value.hasPrefix($0) }
            && value.utf8.count < 256
    }

    private func isAllowedName(_ name: String) -> Bool {
        allowedHosts.contains { allowed in
            if allowed.hasPrefix(".") { return name == allowed.dropFirst() || name.hasSuffix(allowed) }
            return name == allowed
        }
    }

    /// The host part of `host[:port]` or `[v6]:port`, lowercased; nil when malformed.
    static func hostName(fromAuthority authority: String) -> String? {
        // Only printable ASCII is a valid host here (browsers send IDNs as punycode); anything
        // else is refused before it is looked at.
        guard authority.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let value = authority.lowercased()
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            let rest = value[value.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else { return nil }
            let inside = value[value.index(after: value.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            return String(value[...close])
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.first, !name.isEmpty else { return nil }
        if parts.count == 2, parts[1].isEmpty || !parts[1].allSatisfy(\.isASCIIDigit) { return nil }
        guard name.allSatisfy({ $0.isASCIIDigit || ($0.asciiValue.map { (0x61...0x7A).contains($0) } ?? false) || $0 == "-" || $0 == "." || $0 == "_" }) else {
            return nil
        }
        return String(name.hasSuffix(".") ? name.dropLast() : name)
    }

    static func isLoopbackName(_ name: String) -> Bool {
        name == "localhost" || name.hasSuffix(".localhost")
    }

    static func isLoopbackIP(_ name: String) -> Bool {
        name == "[::1]" || (isIPv4(name) && name.hasPrefix("127."))
    }

    static func isIPLiteral(_ name: String) -> Bool {
        (name.hasPrefix("[") && name.hasSuffix("]")) || isIPv4(name)
    }

    static func isIPv4(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.count <= 3 && part.allSatisfy(\.isASCIIDigit) && (Int(part) ?? 256) <= 255
        }
    }

    static func normalizedOrigin(_ origin: String) -> String {
        var value = origin.lowercased()
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }
}

extension Character {
    /// `0`…`9` and nothing else (not a digit with a combining mark, not other scripts' digits).
    var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}
