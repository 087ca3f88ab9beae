import HTTPCodec

/// How the proxy rewrites the app's response heads on their way to the client: hop-by-hop
/// fields removed, the framing the broker itself writes, and the content coding it can undo.
/// Pure.
enum ProxyHeaders {
    /// Removes the hop-by-hop fields of RFC 9110 §7.6.1: Connection and every field it names,
    /// Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade (kept for tunnels), Proxy-*.
    /// `Connection` cannot remove `Host` or `Content-Length`: the proxy frames the message by them
    /// (`Connection: content-length` would otherwise send the body as the app's next request).
    static func removeHopByHop(_ headers: inout HTTPHeaders, keepUpgrade: Bool) {
        var named: [String] = []
        for value in headers.values("Connection") {
            for token in value.split(separator: ",") {
                let name = token.trimmingASCIIWhitespace().asciiLowercased()
                if !name.isEmpty, name != "host", name != "content-length" { named.append(name) }
            }
        }
        var kept = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.asciiLowercased()
            if keepUpgrade, lower == "upgrade" || lower == "connection" {
                kept.add(name, value)
                continue
            }
            if ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"].contains(lower)
                || lower.hasPrefix("proxy-") || named.contains(lower)
            {
                continue
            }
            kept.add(name, value)
        }
        if keepUpgrade { kept.replaceOrAdd("Connection", "Upgrade") }
        headers = kept
    }

    /// The head the client gets for the app's final response, whose body the parser reads with
    /// `framing`.
    ///
    /// The broker frames the response to the client itself, as HTTP/1.1 (an HTTP/1.0 app's head
    /// must not go out as "HTTP/1.0" with chunked framing), and only a Content-Length that frames
    /// the body the parser reads is relayed: with Transfer-Encoding too, the app's Content-Length
    /// is wrong for what the client gets (RFC 9112 §6.3).
    static func clientHead(_ head: ResponseHead, framing: HTTPResponseParser.Framing) -> ResponseHead {
        var head = head
        head.version = .http1_1
        removeHopByHop(&head.headers, keepUpgrade: false)
        switch framing {
        case .length(let length): head.headers.replaceOrAdd("Content-Length", String(length))
        case .chunked, .untilClose: head.headers.remove("Content-Length")
        case .none: break  // HEAD, 204, 304: the app's value describes the GET it did not send
        }
        return head
    }

    /// The head the client gets for the app's `101 Switching Protocols`.
    static func tunnelHead(_ head: ResponseHead) -> ResponseHead {
        var head = head
        head.version = .http1_1
        removeHopByHop(&head.headers, keepUpgrade: true)
        return head
    }

    /// Whether the app closes its connection after this response (so it cannot be pooled).
    static func closesConnection(_ head: ResponseHead) -> Bool {
        head.headers.containsToken("close", in: "Connection")
            || (head.version == .http1_0 && !head.headers.containsToken("keep-alive", in: "Connection"))
    }

    /// For a response with one content coding (a page the app compressed although identity was
    /// asked for): that coding, lowercased, and the head for the decoded body (no
    /// `Content-Encoding`, no `Content-Length`). Nil without a coding, or with several.
    static func decodedHead(_ head: ResponseHead) -> (coding: String, head: ResponseHead)? {
        let codings = head.headers.values("Content-Encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIIWhitespace().asciiLowercased() }.filter { $0 != "identity" }
        guard codings.count == 1 else { return nil }
        var decoded = head
        decoded.headers.remove("Content-Encoding")
        decoded.headers.remove("Content-Length")
        return (codings[0], decoded)
    }

    /// The codings the proxy decodes, so that the client can be injected; brotli and anything
    /// else passes through as is.
    static func isDecodable(_ coding: String) -> Bool {
        ["gzip", "x-gzip", "deflate"].contains(coding)
    }
}
