import HTTPCodec

/// Answers whole requests: the head and the collected body (at most ``HTTPServerConfiguration/limits``'
/// body size).
///
/// Called on the server's loop thread, one request at a time per connection. Respond through the
/// ``HTTPResponder``, now or later; the server's ``ResponseFilter`` (if any) runs on the way out.
public protocol RequestHandler: Sendable {
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}
