import CZlib

/// Streaming gzip/zlib/raw-deflate decompression (system zlib), for pages an app compressed
/// although the proxy asked for identity: decoded, they can get the client injected.
///
/// `Content-Encoding: deflate` means the zlib format (RFC 9110 §8.4.1.2), but some servers send raw
/// deflate under that name, and browsers accept both; so the first two bytes decide: the gzip
/// magic or a valid zlib header (CMF/FLG check bits) select zlib's auto-detection, anything else
/// raw deflate.
///
/// Lives in UVLoop because it is the one module allowed unsafe pointers. Output comes in pieces of
/// at most `pieceSize` bytes, and the consumer can stop it between pieces, so a small input that
/// inflates hugely never becomes one huge buffer (a "zip bomb" page costs one piece at a time).
public final class Inflater {
    /// What went wrong, in zlib's words.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var started = false
    private var finished = false
    /// Input held until two bytes tell the format.
    private var header: [UInt8] = []
    private let pieceSize: Int

    public init(pieceSize: Int = 64 * 1024) {
        self.pieceSize = pieceSize
        stream.initialize(to: z_stream())
    }

    /// Whether two leading bytes are the gzip magic or a zlib header (deflate method, check bits).
    static func hasWrapper(_ first: UInt8, _ second: UInt8) -> Bool {
        if first == 0x1F && second == 0x8B { return true }
        return first & 0x0F == 8 && first >> 4 <= 7 && (Int(first) << 8 | Int(second)) % 31 == 0
    }

    /// True once the compressed stream's end was seen (later input is ignored).
    public var isFinished: Bool { finished }

    /// False until the first byte arrived (an empty body is not a truncated stream).
    public var hasInput: Bool { started || !header.isEmpty }

    /// True when the last ``inflate(_:_:)`` stopped because `output` asked it to: the rest of the
    /// input (and zlib's pending output) waits for the next call, which may pass no new bytes.
    public var isHolding: Bool { holding }
    private var holding = false
    private var held: [UInt8] = []

    /// Decodes `input`, handing each decoded piece to `output`, which returns false to stop (a
    /// slow consumer): then this keeps what is left (``isHolding``) and returns false. Returns
    /// false too when everything was decoded but the last piece found the consumer slow, so the
    /// caller stops feeding it; true when the consumer is ready for more.
    @discardableResult
    public func inflate(_ input: [UInt8], _ output: ([UInt8]) -> Bool) throws(Failure) -> Bool {
        guard !finished else { return true }
        var input = input
        if holding {
            input = held + input
            held = []
            holding = false
        } else if input.isEmpty {
            return true
        }
        if !started {
            header += input
            guard header.count >= 2 else { return true }
            input = header
            header = []
            started = true
            guard rb_inflate_init(stream, Self.hasWrapper(input[0], input[1]) ? 15 + 32 : -15) == Z_OK else {
                finished = true
                throw Failure(description: "inflateInit2 failed")
            }
        }
        var failure: Failure?
        var consumerReady = true
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
                let wantsMore = produced > 0 ? output(Array(piece[..<produced])) : true
                consumerReady = wantsMore
                if status == Z_STREAM_END {
                    finished = true
                    break
                }
                if status == Z_BUF_ERROR { break }  // needs more input
                guard status == Z_OK else {
                    failure = Failure(description: stream.pointee.msg.map { String(cString: $0) } ?? "inflate error \(status)")
                    break
                }
                if !wantsMore, stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0 {
                    let consumed = source.count - Int(stream.pointee.avail_in)
                    held = Array(source[consumed...])
                    holding = true
                    break
                }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
        }
        if let failure { throw failure }
        return consumerReady && !holding
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deallocate()
    }
}
