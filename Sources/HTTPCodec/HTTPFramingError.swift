/// Why the framing core (``LineScanner``, ``HTTPBodyDecoder``, ``HTTPMessageFraming``,
/// ``HTTPFieldLine``) refused its input. Each parser maps it onto its own public error type, so the
/// request and the response parser refuse the same bytes for the same reason.
enum HTTPFramingError: Error, Sendable, Equatable {
    /// The bytes break the grammar or the framing rules; the string is a short reason.
    case malformed(String)
    /// A head or a trailer section longer than the limit.
    case sectionTooLong
    /// A `chunk-size [chunk-ext]` line longer than the limit.
    case chunkLineTooLong
    /// A chunk larger than the body bytes the caller still accepts.
    case bodyTooLarge
    /// A Content-Length too large for `Int`.
    case contentLengthTooLarge
    /// The input ended inside a message.
    case truncated

    /// Runs `body`, reporting its error as `map` says (each parser in its own error type).
    @inline(__always)
    static func mapped<Value, Mapped: Error>(
        _ map: (HTTPFramingError) -> Mapped, _ body: () throws(HTTPFramingError) -> Value
    ) throws(Mapped) -> Value {
        do {
            return try body()
        } catch {
            throw map(error)
        }
    }
}

extension HTTPParseError {
    /// A framing-core error as the request parser reports it.
    init(_ error: HTTPFramingError) {
        switch error {
        case .malformed(let reason): self = .malformed(reason)
        case .sectionTooLong: self = .headTooLarge
        case .chunkLineTooLong: self = .malformed("chunk size line too long")
        case .bodyTooLarge, .contentLengthTooLarge: self = .bodyTooLarge
        case .truncated: self = .malformed("truncated")
        }
    }
}

extension HTTPResponseParseError {
    /// A framing-core error as the response parser reports it.
    init(_ error: HTTPFramingError) {
        switch error {
        case .malformed(let reason): self = .malformed(reason)
        case .sectionTooLong, .chunkLineTooLong: self = .headTooLarge
        case .bodyTooLarge: self = .malformed("chunk too large")
        case .contentLengthTooLarge: self = .malformed("invalid Content-Length")
        case .truncated: self = .truncated
        }
    }
}
