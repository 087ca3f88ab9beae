import HTTPCodec

/// What an ``HTTPRouter`` decides for a request, at its head.
public enum HTTPRoute {
    /// Collect the body, then call the router's own ``HTTPRouter/handle(_:responder:)``.
    case router
    /// Collect the body, then call this handler.
    case handler(any RequestHandler)
    /// Hand the head to this handler now; the body follows as it arrives.
    case stream(any StreamingRequestHandler)
    /// Answer with this error (a plain-text body naming `detail`) and close the connection.
    case refuse(HTTPStatus, detail: String?)
}

extension HTTPRoute {
    /// Whether the body goes to the handler as it arrives (unbounded) rather than collected under
    /// ``HTTPLimits/maxBodyBytes``.
    var streamsBody: Bool {
        if case .stream = self { return true }
        return false
    }
}
