import HTMLInjection
import HTTPCodec

/// What the proxy sends the app for one client request: the head rewritten for the app, and the
/// body pieces framed the way the broker read them. Pure.
struct ProxyRequestWriter {
    /// An `Upgrade` request (a WebSocket): the app's `101` turns the exchange into a tunnel.
    let isUpgrade: Bool
    /// A browser loading a page: failures get a waiting page, and the page is asked for
    /// uncompressed so that the client can be injected.
    let isNavigation: Bool
    /// The client sent the body chunked: it goes to the app chunked too.
    let isChunked: Bool
    /// The head, as sent to the app.
    let head: [UInt8]

    init(request: RequestHead, clientAddress: String?, upstreamAuthority: String) {
        isUpgrade = request.headers.contains("Upgrade") && request.headers.containsToken("upgrade", in: "Connection")
        isNavigation = Self.isNavigation(request)
        isChunked = request.headers.contains("Transfer-Encoding")
        head = Self.forwardedHead(
            request, clientAddress: clientAddress, upgrade: isUpgrade, navigation: isNavigation, chunked: isChunked,
            upstreamAuthority: upstreamAuthority)
    }

    /// A piece of the request body, framed for the app (empty pieces write nothing).
    func body(_ bytes: [UInt8]) -> [UInt8] {
        isChunked ? HTTPChunkedWriter.chunk(bytes) : bytes
    }

    /// What ends the body for the app: the last chunk when it is chunked, else nothing.
    var endOfBody: [UInt8]? { isChunked ? HTTPChunkedWriter.lastChunk : nil }

    /// A request a browser makes to show a page: a `GET` whose `Sec-Fetch-Dest` names a navigation
    /// (the rule injection uses too), or, from a browser that does not send one, that accepts HTML.
    static func isNavigation(_ request: RequestHead) -> Bool {
        guard request.method == "GET" else { return false }
        if let destination = request.headers["Sec-Fetch-Dest"] {
            return InjectionDecision.isNavigationDestination(destination)
        }
        return request.headers.values("Accept").contains { $0.asciiLowercased().contains("text/html") }
    }

    /// The head sent to the app.
    static func forwardedHead(
        _ request: RequestHead, clientAddress: String?, upgrade: Bool, navigation: Bool, chunked: Bool,
        upstreamAuthority: String
    ) -> [UInt8] {
        var headers = request.headers
        let host = headers["Host"]
        ProxyHeaders.removeHopByHop(&headers, keepUpgrade: upgrade)
        var forwardedFor = headers.values("X-Forwarded-For").joined(separator: ", ")
        if let clientAddress {
            forwardedFor = forwardedFor.isEmpty ? clientAddress : forwardedFor + ", " + clientAddress
        }
        headers.remove("X-Forwarded-For")
        if !forwardedFor.isEmpty { headers.add("X-Forwarded-For", forwardedFor) }
        if let host { headers.replaceOrAdd("X-Forwarded-Host", host) }
        headers.replaceOrAdd("X-Forwarded-Proto", "http")
        if navigation { headers.replaceOrAdd("Accept-Encoding", "identity") }
        // The body is framed as the broker read it: one canonical Content-Length (the parser made
        // sure every value agreed), or chunked.
        if let length = request.headers.values("Content-Length").first?.split(separator: ",").first
            .map({ $0.trimmingASCIIWhitespace() })
        {
            headers.replaceOrAdd("Content-Length", length)
        }
        if chunked {
            headers.remove("Content-Length")
            headers.add("Transfer-Encoding", "chunked")
        }
        if host == nil { headers.add("Host", upstreamAuthority) }  // an HTTP/1.0 request without one
        return RequestHead(method: request.method, target: request.target, version: .http1_1, headers: headers)
            .serialized()
    }
}
