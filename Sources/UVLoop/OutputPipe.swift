#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// The reading end of a child's standard output or error (`uv_pipe_t`): every chunk is first
/// copied to the broker's own descriptor (so the terminal shows what it showed without the
/// pipe), then handed to `onOutput`. Closes itself at end of input. Loop-bound.
public final class OutputPipe: LoopHandle {
    /// Which of the child's streams it reads.
    public enum Stream: Sendable, Equatable {
        case standardOutput
        case standardError

        /// The broker's descriptor the bytes are copied to.
        var descriptor: Int32 { self == .standardOutput ? 1 : 2 }
    }

    public let stream: Stream
    private var onOutput: ((Span<UInt8>) -> Void)?

    init(loop: EventLoop, stream: Stream, onOutput: @escaping (Span<UInt8>) -> Void) {
        self.stream = stream
        self.onOutput = onOutput
        super.init(loop: loop, type: UV_NAMED_PIPE)
        uv_pipe_init(loop.raw, pipe, 0)  // cannot fail
        attach()
    }

    var pipe: UnsafeMutablePointer<uv_pipe_t> { OpaquePointer(handle).assumingMemory(uv_pipe_t.self) }
    private var streamHandle: UnsafeMutablePointer<uv_stream_t> { OpaquePointer(handle).assumingMemory(uv_stream_t.self) }

    func startReading() {
        guard !isClosing else { return }
        let status = EventLoop.startReading(streamHandle) { stream, count, buffer in
            let pipe = LoopHandle.object(stream!.pointee.data, as: OutputPipe.self)
            pipe.didRead(count: count, base: buffer!.pointee.base)
        }
        if status < 0 { close() }
    }

    private func didRead(count: Int, base: UnsafeMutablePointer<CChar>?) {
        if count > 0 {
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(base!).assumingMemoryBound(to: UInt8.self), count: count)
            Self.copy(bytes, to: stream.descriptor)
            onOutput?(bytes.span)
        } else if count < 0 {
            close()  // end of input (every writer is gone), or a read error
        }
    }

    /// Writes everything to `descriptor` (blocking, like the child's own write would have been);
    /// gives up on an error (a closed terminal must not stop the broker).
    static func copy(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        var offset = 0
        var attempts = 0
        while offset < bytes.count, attempts < 1000 {
            attempts += 1
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR || errno == EAGAIN {
                continue
            } else {
                return
            }
        }
    }

    override func didClose() { onOutput = nil }
}
