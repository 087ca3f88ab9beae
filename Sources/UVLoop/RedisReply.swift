import CRedisShim

/// One Redis reply (RESP2), copied out of hiredis' reply object: plain Swift values with no
/// pointers. hiredis built it under ``RedisConnection``'s limits (at most 1,024 elements per
/// array and 1 MiB per string), so it is small.
public indirect enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    /// A bulk or status reply as UTF-8 text (nil for any other type or invalid UTF-8).
    public var text: String? {
        switch self {
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// A short description for logs (type and size, never the content, which may be a secret).
    public var kind: String {
        switch self {
        case .status: "status"
        case .error(let message): "error \(message.prefix(80))"
        case .integer: "integer"
        case .bulk(let bytes): "bulk of \(bytes.count) bytes"
        case .null: "null"
        case .array(let elements): "array of \(elements.count)"
        }
    }

    /// Copies hiredis' reply; unknown types become `.error` (hiredis 0.14 knows no others).
    init(_ reply: UnsafePointer<redisReply>, depth: Int = 0) {
        let value = reply.pointee
        func string() -> [UInt8] {
            guard let pointer = value.str, value.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: value.len))
        }
        switch value.type {
        case REDIS_REPLY_STRING: self = .bulk(string())
        case REDIS_REPLY_STATUS: self = .status(String(decoding: string(), as: UTF8.self))
        case REDIS_REPLY_ERROR: self = .error(String(decoding: string(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: self = .integer(value.integer)
        case REDIS_REPLY_NIL: self = .null
        case REDIS_REPLY_ARRAY:
            guard depth < 8, let elements = value.element else {
                self = depth < 8 ? .array([]) : .error("reply nested too deeply")
                return
            }
            self = .array((0..<value.elements).map { index in
                elements[index].map { RedisReply(UnsafePointer($0), depth: depth + 1) } ?? .null
            })
        default: self = .error("unknown reply type \(value.type)")
        }
    }
}
