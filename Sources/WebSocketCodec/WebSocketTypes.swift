/// The frame opcodes defined by RFC 6455 §5.2 (§11.8 registry). Values 0x3-0x7
/// and 0xB-0xF are reserved and have no case: a frame carrying one is a
/// protocol error (§5.2, "If an unknown opcode is received, the receiving
/// endpoint MUST _Fail the WebSocket Connection_").
public enum WebSocketOpcode: UInt8, Sendable {
    /// §5.4: a continuation of a fragmented message.
    case continuation = 0x0
    /// §5.6: a UTF-8 text message (or its first fragment).
    case text = 0x1
    /// §5.6: a binary message (or its first fragment).
    case binary = 0x2
    /// §5.5.1: the closing handshake.
    case close = 0x8
    /// §5.5.2: a ping, answered by a pong with the same payload.
    case ping = 0x9
    /// §5.5.3: a pong.
    case pong = 0xA

    /// Control frames have the most significant opcode bit set (§5.5).
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// A status code carried by a close frame (RFC 6455 §7.4).
public struct CloseCode: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000, §7.4.1: the purpose of the connection was fulfilled.
    public static let normalClosure = CloseCode(rawValue: 1000)
    /// 1001, §7.4.1: an endpoint is going away (server shutdown, page navigation).
    public static let goingAway = CloseCode(rawValue: 1001)
    /// 1002, §7.4.1: the peer violated the protocol.
    public static let protocolError = CloseCode(rawValue: 1002)
    /// 1003, §7.4.1: the peer sent a kind of data the endpoint cannot accept.
    public static let unsupportedData = CloseCode(rawValue: 1003)
    /// 1007, §7.4.1: message data inconsistent with its type (e.g. non-UTF-8 text).
    public static let invalidFramePayloadData = CloseCode(rawValue: 1007)
    /// 1008, §7.4.1: a message violated the endpoint's policy.
    public static let policyViolation = CloseCode(rawValue: 1008)
    /// 1009, §7.4.1: a message too big to process.
    public static let messageTooBig = CloseCode(rawValue: 1009)
    /// 1011, IANA registry (§11.7): an unexpected condition on the server.
    public static let internalError = CloseCode(rawValue: 1011)
    /// 1012, IANA registry (§11.7): the service is restarting.
    public static let serviceRestart = CloseCode(rawValue: 1012)
    /// 1013, IANA registry (§11.7): try again later (temporary overload).
    public static let tryAgainLater = CloseCode(rawValue: 1013)

    /// Whether a peer may send this code in a close frame (RFC 6455 §7.4: 1000-1003,
    /// 1007-1011 (+1012-1014 as registered), 3000-4999; never 1004/1005/1006/1015
    /// or <1000 or 1016-2999).
    ///
    /// 1004 is reserved, 1005 and 1006 "MUST NOT be set as a status code in a
    /// Close control frame" (§7.4.1) and neither may 1015; 1016-2999 are reserved
    /// for future standards (§7.4.2) and 0-999 are unused.
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

/// A peer's protocol violation: the close code to answer with and a short reason.
/// The one mapping from peer errors to the wire: the caller sends
/// `WebSocketFrameEncoder.close(code: error.closeCode, reason: error.reason)`
/// and closes the connection (RFC 6455 §7.1.7, _Fail the WebSocket Connection_).
public struct WebSocketProtocolError: Error, Sendable, Equatable {
    public var closeCode: CloseCode
    /// A short ASCII reason that fits a close frame (§5.5.1: ≤ 123 bytes).
    public var reason: String

    public init(closeCode: CloseCode, reason: String) {
        self.closeCode = closeCode
        self.reason = reason
    }

    /// 1002 (§7.4.1): a framing rule was broken.
    static func protocolError(_ reason: String) -> WebSocketProtocolError {
        WebSocketProtocolError(closeCode: .protocolError, reason: reason)
    }
}

/// What the parser hands out, one complete unit at a time.
public enum WebSocketEvent: Sendable, Equatable {
    /// A complete (possibly reassembled, §5.4) UTF-8-validated text message (§5.6).
    case text(String)
    /// A complete (possibly reassembled, §5.4) binary message (§5.6).
    case binary([UInt8])
    /// A ping (§5.5.2); answer with a pong carrying the same payload.
    case ping([UInt8])
    /// A pong (§5.5.3).
    case pong([UInt8])
    /// A close frame (§5.5.1). `code` is nil when the frame had no payload, and
    /// `reason` is then empty (§7.1.5 calls that status "1005", never sent on the wire).
    case close(code: UInt16?, reason: String)
}

/// Which end of the connection the parser sits on; it decides the masking rule (§5.1).
public enum WebSocketRole: Sendable {
    /// We are the server: peer (client) frames MUST be masked.
    case server
    /// We are the client: peer (server) frames MUST NOT be masked.
    case client
}
