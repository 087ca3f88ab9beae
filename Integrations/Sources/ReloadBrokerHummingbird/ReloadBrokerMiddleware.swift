import HTMLInjection
import HTTPCodec
import HTTPTypes
import Hummingbird
import NIOCore
import ReloadBroker

/// Puts the reload client into the HTML pages a Hummingbird app answers.
///
/// ```swift
/// let broker = try ReloadBroker(configuration: configuration)
/// let router = Router()
/// router.add(middleware: ReloadBrokerMiddleware(broker: broker))
/// var app = Application(router: router)
/// app.addServices(broker)                       // the broker starts and stops with the app
/// try await app.runService()
/// ```
///
/// It follows the broker's own rules (`ReloadInjectionFilter`): only pages a browser loads as a
/// document (`GET`, an HTML `Content-Type`, a page-carrying status, no `Content-Encoding`, not
/// injected already) get the `<script>` tag, once, before `</head>`. Every other response (JSON,
/// images, `HEAD`, 204, 304, compressed bodies, htmx fragments) is returned as it came, untouched.
///
/// A page of known length up to `ReloadInjectionFilter.wholeBodyLimit` is injected whole and
/// keeps an exact `Content-Length`; a streamed (or longer) page streams through the injector,
/// holding back at most a few bytes, and goes out without `Content-Length` (chunked).
/// The tag carries the broker's instance and epoch from before the page was rendered, so a
/// reload that lands while the page renders or loads still reaches it.
public struct ReloadBrokerMiddleware<Context: RequestContext>: RouterMiddleware {
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

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let filter = ReloadInjectionFilter(broker: broker, origin: origin)  // the epoch before rendering
        var response = try await next(request, context)
        var headers = HTTPHeaders(response.headers.map { ($0.name.rawName, $0.value) })
        let requestHeaders = request.headers
        let action = filter.decide(
            method: request.method.rawValue,
            requestHeader: { name in HTTPField.Name(name).flatMap { requestHeaders[$0] } },
            status: response.status.code, responseHeaders: &headers)
        switch action {
        case .passThrough:
            return response
        case .inject(let injector):
            response.headers = HTTPFields(headers)
            let body = response.body
            if let length = body.contentLength, length <= ReloadInjectionFilter.wholeBodyLimit {
                let collector = BodyCollector(limit: length)
                try await body.write(collector)
                let page = filter.inject(into: collector.bytes)
                let trailers = collector.trailers
                response.body = ResponseBody(contentLength: page.count) { writer in
                    try await writer.write(ByteBuffer(bytes: page))
                    try await writer.finish(trailers)
                }
                response.headers[.contentLength] = String(page.count)
            } else {
                response.body = ResponseBody { writer in
                    try await body.write(InjectingBodyWriter(parent: writer, injector: injector))
                }
                response.headers[.contentLength] = nil
            }
            return response
        }
    }
}

extension HTTPFields {
    /// Fields from the broker's header list, in order (names it cannot represent are dropped:
    /// they all came from valid fields).
    init(_ headers: HTTPHeaders) {
        self.init()
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { append(HTTPField(name: fieldName, value: value)) }
        }
    }
}
