#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// The writing end of a child's standard input, used as its start signal (`uv_pipe_t`): the
/// child (the exec guard with `--wait-for-start`) reads one byte before it starts its command.
/// ``open()`` writes that byte and closes the pipe; ``close()`` without it is a "no" (the child
/// reads end of input and exits without starting anything). Loop-bound.
public final class StartGate: LoopHandle {
    /// The byte that lets the child start.
    public static let go = UInt8(ascii: "1")

    init(loop: EventLoop) {
        super.init(loop: loop, type: UV_NAMED_PIPE)
        uv_pipe_init(loop.raw, pipe, 0)  // cannot fail
        attach()
    }

    var pipe: UnsafeMutablePointer<uv_pipe_t> { OpaquePointer(handle).assumingMemory(uv_pipe_t.self) }

    /// Lets the child start: one byte into the empty pipe (it cannot block), then the pipe closes.
    public func open() {
        guard !isClosing else { return }
        var byte = CChar(bitPattern: Self.go)
        withUnsafeMutablePointer(to: &byte) { pointer in
            var buffer = uv_buf_init(pointer, 1)
            _ = uv_try_write(OpaquePointer(handle).assumingMemory(uv_stream_t.self), &buffer, 1)
        }
        close()
    }

    /// Waits (in the child) for the start signal on standard input, then puts `/dev/null` in its
    /// place for what the child starts. True when the parent opened the gate; false at end of
    /// input (the parent closed it, or died).
    public static func waitOnStandardInput() -> Bool {
        var byte: UInt8 = 0
        var count: Int
        repeat { count = read(0, &byte, 1) } while count < 0 && errno == EINTR
        let null = Glibc.open("/dev/null", O_RDONLY)
        if null > 0 {
            dup2(null, 0)
            Glibc.close(null)
        }
        return count == 1 && byte == go
    }
}
