/// Who may talk to the broker: the DNS-rebinding and cross-site defences, as pure decisions.
///
/// - `Host` (every request): loopback names (`localhost`, `*.localhost`), any IP
///   literal (DNS rebinding needs a host *name*; an IP literal cannot be rebound),
///   and configured names. Requests without `Host` (HTTP/1.0 tools) pass.
/// - `Origin` (WebSocket upgrades; trigger `POST`s when present): loopback origins
///   on any port over http or https (the app's page is often on another port than
///   the broker), origins whose host is an allowed name, and configured origins.
///   The opaque origin `null` is refused. And the request's own origin: an `Origin` equal to
///   `http://` + the request's `Host` (default port 80 either way), when that Host passes the Host
///   check by itself (an IP literal, a loopback name or an allowed name; not `--allow-host '*'`):
///   the page was served by this broker at that address, so it is same-origin, not cross-site.
///   That is what lets a phone on the LAN open the socket of the page it got from
///   `http://192.168.1.20:35729/`. A rebinding page cannot use it: its Host is its own name,
///   which fails the Host check.
struct AccessPolicy: Sendable {
    /// Why an `Origin` may (or may not) open a socket or trigger.
    enum OriginDecision: Sendable, Equatable {
        /// `--allow-origin '*'`.
        case anyOrigin
        /// Listed in ``allowedOrigins``.
        case configured
        /// A loopback name or address, any port.
        case loopback
        /// Its host is an allowed name.
        case allowedName
        /// The request's own scheme, host and port.
        case sameOrigin
        case refused
    }

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

    /// Whether a browser page of this origin may open a socket or trigger on a request for `requestHost`.
    func allowsOrigin(_ origin: String, requestHost: String? = nil) -> Bool {
        decide(origin: origin, requestHost: requestHost) != .refused
    }

    func decide(origin: String, requestHost: String?) -> OriginDecision {
        if allowsAnyOrigin { return .anyOrigin }
        let normalized = Self.normalizedOrigin(origin)
        if allowedOrigins.contains(normalized) { return .configured }
        guard let schemeEnd = normalized.firstRange(of: "://") else { return .refused }
        let scheme = normalized[..<schemeEnd.lowerBound]
        guard scheme == "http" || scheme == "https" else { return .refused }
        let authority = String(normalized[schemeEnd.upperBound...])
        guard let name = Self.hostName(fromAuthority: authority) else { return .refused }
        if Self.isLoopbackName(name) || Self.isLoopbackIP(name) { return .loopback }
        if isAllowedName(name) { return .allowedName }
        // The broker speaks plain HTTP: its own pages are http:// pages.
        if scheme == "http", let requestHost, Self.isSameOrigin(authority: authority, host: requestHost),
            Self.isIPLiteral(name) || Self.isLoopbackName(name) || isAllowedName(name)
        {
            return .sameOrigin
        }
        return .refused
    }

    /// Whether `authority` (an origin's `host[:port]`) is the `Host` header's host and port, port
    /// 80 when either leaves it out.
    static func isSameOrigin(authority: String, host: String) -> Bool {
        guard let originName = hostName(fromAuthority: authority), let hostName = hostName(fromAuthority: host) else {
            return false
        }
        return originName == hostName && port(ofAuthority: authority) == port(ofAuthority: host)
    }

    /// The port of a valid `host[:port]` or `[v6]:port`, 80 when absent.
    static func port(ofAuthority authority: String) -> Int? {
        let afterHost: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            afterHost = authority[authority.index(after: close)...]
        } else {
            guard let colon = authority.firstIndex(of: ":") else { return 80 }
            afterHost = authority[colon...]
        }
        if afterHost.isEmpty { return 80 }
        guard afterHost.hasPrefix(":"), let port = Int(afterHost.dropFirst()), (0...65535).contains(port) else { return nil }
        return port
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
