import HTTPCodec

/// Whether to inject, decided from the request and response heads.
///
/// The broker rewrites bodies of arbitrary apps it proxies, so it must only touch responses a
/// browser renders as a whole page: anything else (downloads, byte ranges, compressed bytes,
/// redirects) would be corrupted, or the script would never run.
public enum InjectionDecision {
    /// The response header a filter adds after injecting; its presence means "already done".
    ///
    /// Broker instances can be chained (an app embedding the broker behind the CLI proxy),
    /// and the outer one must skip a page the inner one already injected.
    public static let injectedHeaderName = "X-Reload-Broker-Injected"

    /// Only HTML bodies (Content-Type text/html or application/xhtml+xml, parameters and case ignored) of GET responses
    /// whose status carries a page: 200 and other page-carrying statuses (203, 4xx, 5xx error pages incl. 404/500), not 1xx, 204, 205, 206, 304, 3xx redirects;
    /// not HEAD (or any method but GET); not when Content-Encoding is present and not "identity"; not when the response says it is already injected (header `X-Reload-Broker-Injected`).
    ///
    /// Error pages are included because a developer fixing a 500 wants that page to reload
    /// when the fix lands. The method is compared exactly, as HTTP methods are case-sensitive.
    public static func shouldInject(method: String, status: Int, responseHeaders: HTTPHeaders) -> Bool {
        guard method == "GET", statusCarriesPage(status) else { return false }
        guard !responseHeaders.contains(injectedHeaderName) else { return false }
        guard let contentType = responseHeaders["Content-Type"], isHTMLMediaType(contentType) else { return false }
        for value in responseHeaders.values("Content-Encoding") {
            for coding in Array(value.utf8).split(separator: UInt8(ascii: ",")) {
                guard ASCII.equalsIgnoringCase(ASCII.trimmingWhitespace(coding), "identity") else { return false }
            }
        }
        return true
    }

    /// Whether a `Sec-Fetch-Dest` value names a navigation: a document the browser shows, at the
    /// top level, in a frame, or in an `<embed>` or `<object>` (the destinations of the Fetch
    /// standard's navigation requests). Case is ignored. The one list behind both the injection's
    /// request rule and the proxy's notion of a page request.
    public static func isNavigationDestination(_ destination: String) -> Bool {
        let bytes = Array(destination.utf8)[...]
        return navigationDestinations.contains { ASCII.equalsIgnoringCase(bytes, $0) }
    }

    /// `Sec-Fetch-Dest` values of navigations (Fetch: "navigation request").
    private static let navigationDestinations = ["document", "embed", "frame", "iframe", "object"]

    /// Rewrites response headers for an injected body: removes Content-Length (the caller then sends chunked or close-delimited, or sets a new length for whole bodies),
    /// weakens a strong ETag to W/ (the bytes changed), removes Content-MD5/Digest, adds `X-Reload-Broker-Injected: 1` (guard against nested filters); keeps everything else in order.
    ///
    /// Content-Digest and Repr-Digest (RFC 9530) are removed too: with no content coding they
    /// describe the very bytes that changed. The ETag keeps its position among the fields;
    /// an existing injected-marker field is dropped so the marker appears exactly once, last.
    public static func rewriteHeaders(_ headers: inout HTTPHeaders) {
        var rewritten = HTTPHeaders()
        for (name, value) in headers {
            if droppedFields.contains(where: { ASCII.equalsIgnoringCase(name, $0) }) { continue }
            if ASCII.equalsIgnoringCase(name, "etag"), !value.hasPrefix("W/") {
                rewritten.add(name, "W/" + value)
            } else {
                rewritten.add(name, value)
            }
        }
        rewritten.add(injectedHeaderName, "1")
        headers = rewritten
    }

    /// Fields whose values describe the original body bytes, plus the marker field (re-added last).
    private static let droppedFields = [
        "content-length", "content-md5", "digest", "content-digest", "repr-digest",
        "x-reload-broker-injected",
    ]

    /// 2xx pages except 204/205 (no body) and 206 (a byte range), and 4xx/5xx error pages.
    private static func statusCarriesPage(_ status: Int) -> Bool {
        switch status {
        case 200...299: status != 204 && status != 205 && status != 206
        case 400...599: true
        default: false
        }
    }

    /// Whether the media type before any `;` parameters is text/html or application/xhtml+xml.
    private static func isHTMLMediaType(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        let end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
        let type = ASCII.trimmingWhitespace(bytes[..<end])
        return ASCII.equalsIgnoringCase(type, "text/html") || ASCII.equalsIgnoringCase(type, "application/xhtml+xml")
    }
}
