import HTMLInjection
import HTTPTypes
import Hummingbird
import NIOCore

/// A body writer that runs every buffer through an `HTMLInjector` on its way to `parent`:
/// output follows input at once, but for the few bytes of a possible `</head` held back.
struct InjectingBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    var injector: HTMLInjector

    mutating func write(_ buffer: ByteBuffer) async throws {
        let output = injector.feed(buffer.readableBytesUInt8Span)
        if !output.isEmpty { try await parent.write(ByteBuffer(bytes: output)) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        let rest = injector.finish()
        if !rest.isEmpty { try await parent.write(ByteBuffer(bytes: rest)) }
        try await parent.finish(trailingHeaders)
    }
}

/// Collects a body of known length whole (for pages small enough to inject with an exact
/// `Content-Length`); a body longer than it said is an error, not more memory.
final class BodyCollector: ResponseBodyWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var trailers: HTTPFields?
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        bytes.reserveCapacity(limit)
    }

    func write(_ buffer: ByteBuffer) async throws {
        guard bytes.count + buffer.readableBytes <= limit else { throw BodyLengthMismatch(declared: limit) }
        bytes.append(contentsOf: buffer.readableBytesView)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {
        trailers = trailingHeaders
    }
}

/// A response body longer than its declared `Content-Length`.
struct BodyLengthMismatch: Error, CustomStringConvertible {
    let declared: Int
    var description: String { "the response body is longer than its Content-Length (\(declared))" }
}
