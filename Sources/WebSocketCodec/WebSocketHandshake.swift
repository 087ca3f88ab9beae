import Crypto
import HTTPCodec

/// The opening handshake (RFC 6455 §4): the server's check of an upgrade
/// request and its 101 answer, plus the client's request for tests and load
/// generators. Subprotocols and extensions are never negotiated (none selected),
/// so no `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions` is answered.
public enum WebSocketHandshake {
    /// The GUID of §1.3 appended to the client's key.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a key (§4.2.2 item 5.4): base64(SHA-1(key + GUID)).
    /// SHA-1 is required by the protocol here; it proves the server read the
    /// handshake, it is not a security measure.
    public static func acceptValue(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + guid).utf8))
        return Base64.encode(Array(digest))
    }

    /// What to answer an upgrade request with.
    public enum Decision: Sendable, Equatable {
        /// 101 Switching Protocols with `Upgrade`, `Connection` and `Sec-WebSocket-Accept` (§4.2.2).
        case upgrade(ResponseHead)
        /// A refusal (400, 405, or 426 with `Sec-WebSocket-Version: 13`) and a short
        /// reason for logs. The head carries `Connection: close` and `Content-Length: 0`;
        /// to send a body, `replaceOrAdd` the `Content-Length`.
        case reject(ResponseHead, reason: String)
    }

    /// Checks a request that asked to upgrade (RFC 6455 §4.2.1): GET, HTTP/1.1,
    /// Upgrade token "websocket" (any case), Connection token list containing
    /// "upgrade" (any case), Sec-WebSocket-Key present exactly once and base64 of
    /// exactly 16 bytes, Sec-WebSocket-Version 13 (else 426 + Sec-WebSocket-Version: 13).
    /// Subprotocols/extensions are not negotiated (none selected).
    ///
    /// Checked in that order except that the version comes before the key (a
    /// different version might define a different key). Not checked here: `Host`
    /// (HTTP/1.1 framing, §4.2.1 item 2) and `Origin` (§10.2, a policy decision
    /// left to the caller, which may answer `HTTPStatus.forbidden`).
    public static func evaluate(_ request: RequestHead) -> Decision {
        let headers = request.headers
        // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
        guard request.method == "GET" else {
            return reject(.methodNotAllowed, "method \(request.method) cannot upgrade", extra: [("Allow", "GET")])
        }
        guard request.version == .http1_1 else {
            return reject(.badRequest, "WebSocket upgrade needs HTTP/1.1")
        }
        // §4.2.1 items 3 and 4.
        guard headers.containsToken("websocket", in: "Upgrade") else {
            return reject(.badRequest, "missing Upgrade: websocket")
        }
        guard headers.containsToken("upgrade", in: "Connection") else {
            return reject(.badRequest, "missing Connection: Upgrade")
        }
        // §4.2.1 item 6, §4.4: an unsupported version is answered with 426 and the versions we speak.
        let versions = headers.values("Sec-WebSocket-Version")
        guard versions.count == 1, versions[0].trimmingASCIIWhitespace() == "13" else {
            return reject(
                .upgradeRequired, "unsupported Sec-WebSocket-Version",
                extra: [("Sec-WebSocket-Version", "13"), ("Upgrade", "websocket")],
                connection: "Upgrade, close")
        }
        // §4.2.1 item 5: a base64-encoded 16-byte value; §11.3.1: not repeated.
        let keys = headers.values("Sec-WebSocket-Key")
        guard keys.count == 1 else {
            return reject(.badRequest, keys.isEmpty ? "missing Sec-WebSocket-Key" : "repeated Sec-WebSocket-Key")
        }
        let key = keys[0].trimmingASCIIWhitespace()
        guard Base64.decode(key)?.count == 16 else {
            return reject(.badRequest, "Sec-WebSocket-Key is not base64 of 16 bytes")
        }
        // §4.2.2 item 5.
        let response = ResponseHead(
            status: .switchingProtocols,
            headers: HTTPHeaders([
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", acceptValue(forKey: key)),
            ]))
        return .upgrade(response)
    }

    /// Whether the request asks for a WebSocket at all (`Upgrade: websocket`, any
    /// case); decides routing before `evaluate` judges the details.
    public static func isUpgradeRequest(_ request: RequestHead) -> Bool {
        request.headers.containsToken("websocket", in: "Upgrade")
    }

    /// The client's opening request (§4.1). `key` goes out as given (see `makeKey`).
    /// Serialized by ``RequestHead/serialized()``: CR, LF and NUL in any value are written as SP.
    public static func clientRequest(
        host: String, path: String, key: String, origin: String? = nil, extraHeaders: [(String, String)] = []
    ) -> [UInt8] {
        var headers: HTTPHeaders = [
            "Host": host, "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13",
        ]
        if let origin { headers.add("Origin", origin) }
        for (name, value) in extraHeaders { headers.add(name, value) }
        return RequestHead(method: "GET", target: path, headers: headers).serialized()
    }

    /// A fresh `Sec-WebSocket-Key` (§4.1 item 7): base64 of 16 random bytes.
    public static func makeKey<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            let word = generator.next() as UInt64
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return Base64.encode(bytes)
    }

    /// The client's check of the server's answer (§4.1, "the client MUST validate
    /// the server's response"): 101, `Upgrade: websocket`, `Connection: upgrade`
    /// and the right `Sec-WebSocket-Accept` for `key`.
    public static func isValidUpgradeResponse(_ response: ResponseHead, key: String) -> Bool {
        response.status.code == 101
            && response.headers.containsToken("websocket", in: "Upgrade")
            && response.headers.containsToken("upgrade", in: "Connection")
            && response.headers.values("Sec-WebSocket-Accept").map { $0.trimmingASCIIWhitespace() } == [acceptValue(forKey: key)]
    }

    private static func reject(
        _ status: HTTPStatus, _ reason: String, extra: [(String, String)] = [], connection: String = "close"
    ) -> Decision {
        var headers = HTTPHeaders(extra)
        headers.add("Connection", connection)
        headers.add("Content-Length", "0")
        return .reject(ResponseHead(status: status, headers: headers), reason: reason)
    }
}
