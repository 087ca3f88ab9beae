import HTMLInjection
import HTTPCodec
import NIOCore
import NIOHTTP1
import ReloadBroker
import Vapor

/// Puts the reload client into the HTML pages a Vapor app answers.
///
/// ```swift
/// let broker = try ReloadBroker(configuration: configuration)
/// app.middleware.use(ReloadBrokerMiddleware(broker: broker))
/// app.lifecycle.use(ReloadBrokerLifecycleHandler(broker: broker))  // starts and stops with the app
/// ```
///
/// It follows the broker's own rules (`ReloadInjectionFilter`): only pages a browser loads as a
/// document (`GET`, an HTML `Content-Type`, a page-carrying status, no `Content-Encoding`, not
/// injected already) get the `<script>` tag, once, before `</head>`, and an exact
/// `Content-Length`. Every other response (JSON, files, `HEAD`, 204, 304, compressed bodies, htmx
/// fragments) is returned as it came, its body not even read. Register it before
/// `FileMiddleware` so static pages get the client too.
///
/// Vapor gives a middleware no way to read a streamed body piece by piece, so a streamed *page*
/// (never another response) is collected before it is injected; Vapor's own response compression
/// runs after middleware, on the injected page. The tag carries the broker's instance and epoch
/// from before the page was rendered, so a reload that lands while the page renders or loads
/// still reaches it.
public struct ReloadBrokerMiddleware: AsyncMiddleware {
    /// The broker whose client pages get.
    public let broker: ReloadBroker
    /// Where the page loads the client from (the broker's own port by default).
    public let origin: String

    /// Injects `broker`'s client; `origin` is the scheme, host and port of the broker as the
    /// browser reaches it (default `ReloadBroker.url`).
    public init(broker: ReloadBroker, origin: String? = nil) {
        self.broker = broker
        self.origin = origin ?? broker.url
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let filter = ReloadInjectionFilter(broker: broker, origin: origin)  // the epoch before rendering
        let response = try await next.respond(to: request)
        var headers = HTTPCodec.HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        let requestHeaders = request.headers
        let action = filter.decide(
            method: request.method.rawValue, requestHeader: { requestHeaders.first(name: $0) },
            status: Int(response.status.code), responseHeaders: &headers)
        guard case .inject = action else { return response }
        let body: ByteBuffer
        if let whole = response.body.buffer {
            body = whole
        } else {
            body = try await response.body.collect(on: request.eventLoop).get() ?? ByteBuffer()
        }
        let page = filter.inject(into: Array(body.readableBytesView))
        response.headers = NIOHTTP1.HTTPHeaders(headers.map { ($0.name, $0.value) })
        response.body = Response.Body(buffer: ByteBuffer(bytes: page))  // sets Content-Length
        return response
    }
}
