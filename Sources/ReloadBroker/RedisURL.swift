import HTTPCodec

/// A parsed `redis://[user:password@]HOST[:PORT][/DB]` address. Pure: no I/O, no resolving.
///
/// The password never appears in ``redacted`` (what logs and `/health` show) nor in
/// ``description``. `user` and `password` are percent-decoded; `HOST` is a name, an IPv4
/// literal or a bracketed IPv6 literal; `PORT` defaults to 6379; `DB` (0…) to 0. TLS
/// (`rediss://`), Unix sockets and query options are not supported and say so.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Why a URL was refused; `description` is one line a user can act on.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case scheme(String)
        case missingHost
        case port
        case database
        case unsupported(String)
        case encoding

        public var description: String {
            switch self {
            case .scheme(let scheme):
                scheme == "rediss"
                    ? "TLS (rediss://) is not supported; use redis://HOST:PORT (a TLS tunnel such as stunnel works)"
                    : "expected redis://[user:password@]HOST:PORT[/DB], not a \(scheme.isEmpty ? "URL without a scheme" : "\(scheme):// URL")"
            case .missingHost: "the Redis URL has no host: expected redis://HOST:PORT"
            case .port: "the Redis port is not a number from 1 to 65535 (a password with / ? # @ : needs %-escapes)"
            case .database: "the Redis database (/DB) is not a number from 0 to 2147483647 (a password with / needs %2F)"
            case .unsupported(let part): "the Redis URL has \(part), which is not supported"
            case .encoding: "the Redis URL has an invalid %-escape or control characters"
            }
        }
    }

    /// Parses a URL. Errors never repeat any part of the text (it may hold a password).
    public static func parse(_ text: String) throws(ParseError) -> RedisURL {
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else { throw .encoding }
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { throw .scheme("") }
        let scheme = text[..<colon].lowercased()
        guard scheme == "redis" else { throw .scheme(String(scheme.prefix(16))) }
        var rest = text[text.index(colon, offsetBy: 3)...]
        if rest.contains("?") { throw .unsupported("a query (?…)") }
        if rest.contains("#") { throw .unsupported("a fragment (#…)") }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var url = RedisURL(host: "")
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = try decoded(userinfo[..<colon])
                url.username = user.isEmpty ? nil : user
                url.password = try decoded(userinfo[userinfo.index(after: colon)...])
            } else if !userinfo.isEmpty {
                // redis://secret@host: a lone userinfo is the password (as redis-cli -u reads it).
                url.password = try decoded(userinfo)
            }
        }
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .missingHost }
            url.host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .port }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            url.host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            url.host = String(rest)
        }
        guard !url.host.isEmpty, !url.host.contains(":") || rest.hasPrefix("[") else { throw .missingHost }
        if let portText {
            guard portText.count <= 5, let port = Int(portText), (1...65535).contains(port) else {
                throw .port
            }
            url.port = port
        }
        if !path.isEmpty {
            guard path.count <= 10, path.allSatisfy(\.isASCII), let database = Int(path), database >= 0,
                database <= Int(Int32.max)
            else {
                throw .database
            }
            url.database = database
        }
        return url
    }



    /// The address for logs and `/health`: the password replaced by `***`.
    public var redacted: String {
        var userinfo = ""
        if username != nil || password != nil {
            userinfo = (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(userinfo)\(shownHost):\(port)" + (database != 0 ? "/\(database)" : "")
    }

    public var description: String { redacted }

    private static func decoded(_ text: Substring) throws(ParseError) -> String {
        guard let bytes = PercentEncoding.decode(text), let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .encoding
        }
        return decoded
    }
}
