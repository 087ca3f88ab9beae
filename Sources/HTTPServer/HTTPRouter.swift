import HTTPCodec

/// Decides, for each request head, who answers it. Loop-bound; the server holds it weakly.
public protocol HTTPRouter: AnyObject {
    /// A request head was parsed (nothing of its body has been read yet).
    func route(_ head: RequestHead) -> HTTPRoute
    /// A request routed ``HTTPRoute/router``, complete.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}
