import HTTPCodec
import UVLoop

/// Everything the proxy asks of the server behind a responder, in one place: the only code of the
/// proxy that reaches past the responder's public API (the connection, and through it the
/// broker's core). The HTTP server's own API takes its place.
extension HTTPResponder {
    /// The client's IP address (without the port), for X-Forwarded-For.
    var clientAddress: String? {
        guard let address = connection.tcp.peerAddress else { return nil }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        return address.split(separator: ":").first.map(String.init)
    }

    /// Whether the broker's access policy lets a page of `origin` reach it (the app's WebSockets).
    func allowsOrigin(_ origin: String, requestHost: String?) -> Bool {
        brokerCore.policy.allowsOrigin(origin, requestHost: requestHost)
    }

    /// Whether the broker would inject the client into `response` to `request`.
    func wouldInject(request: RequestHead, response: ResponseHead) -> Bool {
        brokerCore.shouldInject(request: request, response: response)
    }

    /// Answers an error and closes the connection once it is out (nothing more is read).
    func refuse(status: HTTPStatus, detail: String) {
        connection.fail(status: status, detail: detail)
    }

    /// The one read of the connection's core.
    private var brokerCore: BrokerCore { connection.core }
}
