import HTTPCodec
import HTTPServer

/// What the proxy asks of a responder beyond answering: the client's address for
/// `X-Forwarded-For`, from the server's public API.
extension HTTPResponder {
    /// The client's IP address (without the port), for X-Forwarded-For.
    var clientAddress: String? {
        guard let address = peerAddress else { return nil }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        return address.split(separator: ":").first.map(String.init)
    }
}
