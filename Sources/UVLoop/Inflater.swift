import CZlib

/// Streaming gzip/zlib decompression (system zlib), for pages an app compressed although the
/// proxy asked for identity: decoded, they can get the client injected.
///
/// Lives in UVLoop because it is the one module allowed unsafe pointers. Output comes in pieces of
/// at most `pieceSize` bytes, so a small input that inflates hugely never becomes one huge buffer.
public final class Inflater {
    /// What went wrong, in zlib's words.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var finished = false
    private let pieceSize: Int

    public init(pieceSize: Int = 64 * 1024) throws(Failure) {
        self.pieceSize = pieceSize
        stream.initialize(to: z_stream())
        guard rb_inflate_init(stream) == Z_OK else {
            stream.deallocate()
            throw Failure(description: "inflateInit2 failed")
        }
    }

    /// True once the compressed stream's end was seen (later input is ignored).
    public var isFinished: Bool { finished }

    /// Decodes `input`, handing each decoded piece to `output`.
    public func inflate(_ input: [UInt8], _ output: ([UInt8]) -> Void) throws(Failure) {
        guard !finished, !input.isEmpty else { return }
        var failure: Failure?
        input.withUnsafeBufferPointer { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = UInt32(source.count)
            var piece = [UInt8](repeating: 0, count: pieceSize)
            repeat {
                let (status, produced) = piece.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    let status = CZlib.inflate(stream, Z_NO_FLUSH)
                    return (status, target.count - Int(stream.pointee.avail_out))
                }
                if produced > 0 { output(Array(piece[..<produced])) }
                if status == Z_STREAM_END {
                    finished = true
                    break
                }
                if status == Z_BUF_ERROR { break }  // needs more input
                guard status == Z_OK else {
                    failure = Failure(description: stream.pointee.msg.map { String(cString: $0) } ?? "inflate error \(status)")
                    break
                }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
        }
        if let failure { throw failure }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }
}
