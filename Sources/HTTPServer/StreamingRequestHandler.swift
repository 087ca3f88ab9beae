import HTTPCodec

/// Takes requests as they arrive: the head as soon as it is parsed, the body streamed with
/// backpressure through the returned receiver (a proxy).
public protocol StreamingRequestHandler: Sendable {
    /// A request head; returns who takes its body (nil: any body is discarded).
    func handle(head: RequestHead, responder: HTTPResponder) -> (any RequestBodyReceiver)?
}
