/// A response status code with the reason phrase to send.
///
/// The reason phrase is informational only (RFC 9112 §4: clients ignore it), so callers may
/// pass their own; by default it is the one RFC 9110 §15 registers, or empty for unknown codes.
/// Not enforced: that `code` is a three-digit number in 100...599.
public struct HTTPStatus: Sendable, Equatable, Hashable {
    public var code: Int
    public var reason: String

    /// A status with `reason`, or the standard reason phrase for `code` when nil.
    public init(code: Int, reason: String? = nil) {
        self.code = code
        self.reason = reason ?? Self.standardReason(for: code)
    }

    /// Whether a response with this status may carry content (RFC 9110 §6.4.1: not 1xx, 204, 304).
    public var allowsBody: Bool {
        !((100..<200).contains(code) || code == 204 || code == 304)
    }

    public static let switchingProtocols = HTTPStatus(code: 101)
    public static let ok = HTTPStatus(code: 200)
    public static let created = HTTPStatus(code: 201)
    public static let accepted = HTTPStatus(code: 202)
    public static let noContent = HTTPStatus(code: 204)
    public static let movedPermanently = HTTPStatus(code: 301)
    public static let found = HTTPStatus(code: 302)
    public static let notModified = HTTPStatus(code: 304)
    public static let badRequest = HTTPStatus(code: 400)
    public static let unauthorized = HTTPStatus(code: 401)
    public static let forbidden = HTTPStatus(code: 403)
    public static let notFound = HTTPStatus(code: 404)
    public static let methodNotAllowed = HTTPStatus(code: 405)
    public static let requestTimeout = HTTPStatus(code: 408)
    /// 413; RFC 9110 §15.5.14 renamed it "Content Too Large".
    public static let payloadTooLarge = HTTPStatus(code: 413)
    public static let uriTooLong = HTTPStatus(code: 414)
    public static let misdirectedRequest = HTTPStatus(code: 421)
    public static let upgradeRequired = HTTPStatus(code: 426)
    public static let requestHeaderFieldsTooLarge = HTTPStatus(code: 431)
    public static let internalServerError = HTTPStatus(code: 500)
    public static let notImplemented = HTTPStatus(code: 501)
    public static let badGateway = HTTPStatus(code: 502)
    public static let serviceUnavailable = HTTPStatus(code: 503)
    public static let gatewayTimeout = HTTPStatus(code: 504)
    public static let httpVersionNotSupported = HTTPStatus(code: 505)

    /// Reason phrases from RFC 9110 §15 (plus 429 and 431 from RFC 6585); empty when unknown.
    public static func standardReason(for code: Int) -> String {
        switch code {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 103: "Early Hints"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 203: "Non-Authoritative Information"
        case 204: "No Content"
        case 205: "Reset Content"
        case 206: "Partial Content"
        case 300: "Multiple Choices"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 407: "Proxy Authentication Required"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 421: "Misdirected Request"
        case 422: "Unprocessable Content"
        case 426: "Upgrade Required"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: ""
        }
    }
}

/// Why a request could not be parsed; each case maps to exactly one response status.
///
/// After any of these the connection cannot be trusted to be in sync (RFC 9112 §9.6 and §11.2
/// on request smuggling), so the server should send ``status`` and close.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400: the bytes break the grammar or the framing rules; the string is a short reason.
    case malformed(String)
    /// 431: the head (or a chunked trailer section) exceeds `maxHeadBytes`, or there are more
    /// than `maxHeaderCount` fields.
    case headTooLarge
    /// 413: the body exceeds `maxBodyBytes` (see ``HTTPRequestParser/nextRequest()``).
    case bodyTooLarge
    /// 501: a transfer coding other than a single, final `chunked` (RFC 9112 §6.1).
    case unsupportedTransferEncoding
    /// 505: a request line with a major version other than 1 (`HTTP/2.0`, `HTTP/3`); `HTTP/0.9`
    /// and other shapes are ``malformed(_:)``.
    case unsupportedVersion

    /// The status to answer with — the single mapping from parse errors to statuses.
    public var status: HTTPStatus {
        switch self {
        case .malformed: .badRequest
        case .headTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .payloadTooLarge
        case .unsupportedTransferEncoding: .notImplemented
        case .unsupportedVersion: .httpVersionNotSupported
        }
    }

    /// A short human-readable explanation, suitable as the `detail` of
    /// ``HTTPResponseWriter/errorResponse(_:detail:extraHeaders:)``.
    public var description: String {
        switch self {
        case .malformed(let reason): reason
        case .headTooLarge: "request head too large"
        case .bodyTooLarge: "request body too large"
        case .unsupportedTransferEncoding: "unsupported transfer coding"
        case .unsupportedVersion: "unsupported HTTP version"
        }
    }
}
