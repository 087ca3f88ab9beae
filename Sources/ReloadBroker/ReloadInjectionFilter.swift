import HTMLInjection
import HTTPCodec

/// The response filter that puts the reload client into pages: the broker's own rules
/// (`InjectionDecision` for the response, plus the request-side rule below) and the streaming
/// `HTMLInjector`, in one value any HTTP server can run on its responses.
///
/// The broker's responder and the framework middleware (Hummingbird, Vapor) use it the same way:
///
/// ```swift
/// let filter = ReloadInjectionFilter(broker: broker, origin: broker.url)  // the tag as of now
/// switch filter.decide(method: "GET", requestHeader: { request.headers[$0] },
///                      status: 200, responseHeaders: &headers) {
/// case .passThrough:
///     break                                    // send head and body exactly as they are
/// case .inject(var injector):                  // headers are already rewritten
///     for chunk in body { send(injector.feed(chunk)) }
///     send(injector.finish())
/// }
/// ```
///
/// A filter is made per response: its snippet carries the broker's instance and epoch at the
/// moment the page is rendered, so a reload that happens while the page loads is not missed.
public struct ReloadInjectionFilter: Sendable {
    /// What to do with one response.
    public enum Action: Sendable {
        /// Not a page: head and body go out untouched, byte for byte.
        case passThrough
        /// A page: the headers were rewritten (no `Content-Length`, weak `ETag`, the injected
        /// marker); run the body through this injector (or ``ReloadInjectionFilter/inject(into:)``).
        case inject(HTMLInjector)
    }

    /// Bodies up to this size whose length is known are worth collecting whole, so the injected
    /// page keeps an exact `Content-Length`; longer or unknown-length bodies are streamed.
    public static let wholeBodyLimit = 1 << 20

    /// The `<script>` tag injected.
    public let snippet: String

    /// A filter injecting `snippet` (normally a broker's ``ReloadBroker/scriptTag(origin:)``).
    public init(snippet: String) {
        self.snippet = snippet
    }

    /// A filter injecting the broker's tag as of now, its `src` on `origin` (`""` when pages are
    /// served by the broker itself, ``ReloadBroker/url`` when they come from another port).
    public init(broker: ReloadBroker, origin: String) {
        self.init(snippet: broker.scriptTag(origin: origin))
    }

    /// Decides for one response and, for a page, rewrites its headers for the injected body.
    ///
    /// - Parameters:
    ///   - method: the request's method, exactly as sent (only `GET` pages are injected).
    ///   - requestHeader: looks up a request header by name (case-insensitively).
    ///   - status: the response's status code.
    ///   - responseHeaders: the response's headers; rewritten when the answer is ``Action/inject(_:)``.
    public func decide(
        method: String, requestHeader: (String) -> String?, status: Int, responseHeaders: inout HTTPHeaders
    ) -> Action {
        guard InjectionDecision.shouldInject(method: method, status: status, responseHeaders: responseHeaders),
            Self.requestWantsPage(requestHeader)
        else { return .passThrough }
        InjectionDecision.rewriteHeaders(&responseHeaders)
        return .inject(HTMLInjector(snippet: snippet))
    }

    /// The whole body with the snippet injected (the same bytes as streaming it through
    /// ``Action/inject(_:)``'s injector).
    public func inject(into body: [UInt8]) -> [UInt8] {
        HTMLInjector.inject(snippet, into: body)
    }

    /// Whether the request is a browser loading a page rather than a page's own script fetching a
    /// fragment (htmx, Turbo, `fetch`), which would run a second client or show a stray tag.
    ///
    /// `HX-Request` marks htmx; `Sec-Fetch-Dest`, when a browser sends it, must name a navigation
    /// (`InjectionDecision.isNavigationDestination(_:)`).
    public static func requestWantsPage(_ requestHeader: (String) -> String?) -> Bool {
        if requestHeader("HX-Request") != nil { return false }
        if let destination = requestHeader("Sec-Fetch-Dest") {
            return InjectionDecision.isNavigationDestination(destination)
        }
        return true
    }
}
