/// Resource limits the request parser enforces.
///
/// The defaults suit a development broker that only receives browser page loads, WebSocket
/// handshakes and small control posts; they bound the memory one connection can pin.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest accepted request head (request line, header fields, the terminating empty line);
    /// also bounds a chunked body's trailer section. Exceeding it is ``HTTPParseError/headTooLarge`` (431).
    public var maxHeadBytes: Int
    /// Largest body ``HTTPRequestParser/nextRequest()`` collects. Exceeding it is
    /// ``HTTPParseError/bodyTooLarge`` (413). ``HTTPRequestParser/nextEvent()`` streams and does not apply it.
    public var maxBodyBytes: Int
    /// Most header fields accepted in one head. Exceeding it is ``HTTPParseError/headTooLarge`` (431).
    public var maxHeaderCount: Int

    public init(maxHeadBytes: Int = 16 * 1024, maxBodyBytes: Int = 64 * 1024, maxHeaderCount: Int = 100) {
        self.maxHeadBytes = maxHeadBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

/// The HTTP versions this codec speaks (RFC 9112 §2.3).
///
/// A request claiming `HTTP/1.x` with x > 1 is read as ``http1_1`` (RFC 9110 §2.5: minor versions
/// are backwards compatible); other major versions are refused by the parser.
public enum HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    case http1_0, http1_1

    /// `HTTP/1.0` or `HTTP/1.1`, as written on the wire.
    public var description: String {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        }
    }
}

/// A parsed request line and its header fields.
///
/// The target is kept as sent; ``path`` and ``query`` split it without percent-decoding, so
/// callers decide how to decode (and must guard against `..` themselves).
public struct RequestHead: Sendable, Equatable {
    /// The method token, case-sensitive as sent (RFC 9110 §9.1).
    public var method: String
    /// The request-target as sent (RFC 9112 §3.2). Its form (origin, absolute, authority,
    /// asterisk) is not checked, only that it has no whitespace, controls or non-ASCII bytes.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The target up to the first `?`, not percent-decoded.
    public var path: String {
        let utf8 = target.utf8
        guard let mark = utf8.firstIndex(of: ASCII.questionMark) else { return target }
        return String(target[..<mark])
    }

    /// The target after the first `?` (possibly empty), nil if there is no `?`. Not decoded.
    public var query: String? {
        let utf8 = target.utf8
        guard let mark = utf8.firstIndex(of: ASCII.questionMark) else { return nil }
        return String(target[utf8.index(after: mark)...])
    }

    /// Whether the connection may be reused after this request (RFC 9112 §9.3).
    ///
    /// HTTP/1.1 is persistent unless `Connection` lists `close`; HTTP/1.0 only when `Connection`
    /// lists `keep-alive` (and not `close`). The server must still close after errors it cannot
    /// recover from, whatever this says.
    public var keepAlive: Bool {
        if headers.containsToken("close", in: "Connection") { return false }
        switch version {
        case .http1_1: return true
        case .http1_0: return headers.containsToken("keep-alive", in: "Connection")
        }
    }
}

extension RequestHead {
    /// `GET /path HTTP/1.1\r\n`, one `name: value\r\n` per field in order, then `\r\n`
    /// (RFC 9112 §3, §5) — what a client (the proxy towards the app, the trigger client, the
    /// WebSocket handshake) writes.
    ///
    /// Nothing is added or validated: Host and framing headers are the caller's. As in
    /// ``ResponseHead/serialized()``, CR, LF and NUL in the method, target, names or values are
    /// written as SP, so no value can end a line early (request splitting).
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.utf8.count + 1 + target.utf8.count + 1 + 8 + 2 + headers.serializedSize)
        bytes.appendSanitized(method)
        bytes.append(ASCII.sp)
        bytes.appendSanitized(target)
        bytes.append(ASCII.sp)
        bytes.append(contentsOf: version.description.utf8)
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
        headers.write(into: &bytes)
        return bytes
    }
}

/// A request head with its whole body, as returned by ``HTTPRequestParser/nextRequest()``.
public struct HTTPRequest: Sendable, Equatable {
    public var head: RequestHead
    /// The decoded body (chunked framing removed); empty when the request has none.
    public var body: [UInt8]

    public init(head: RequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}
