import CLibUV

/// Base of every handle wrapper: owns one heap-allocated libuv handle.
///
/// libuv handles must not move and live until their close callback, so the
/// wrapper allocates the handle on the heap and, while it is open, keeps
/// itself alive through the handle's `data` pointer (a retained reference
/// released in the close callback). Callers may drop their references to an
/// open handle; it stays valid until ``close()`` completes. Only the loop's
/// thread may use a handle.
public class LoopHandle {
    let handle: UnsafeMutablePointer<uv_handle_t>
    /// The loop this handle belongs to (it must outlive the handle).
    public unowned let loop: EventLoop
    /// True once ``close()`` was called.
    public private(set) var isClosing = false
    private var isAttached = false

    init(loop: EventLoop, type: uv_handle_type) {
        self.loop = loop
        let size = uv_handle_size(type)
        self.handle = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            .bindMemory(to: uv_handle_t.self, capacity: 1)
        handle.pointee.data = nil
    }

    /// Called by subclasses right after their `uv_*_init` succeeded: from now
    /// on the handle keeps `self` alive until the close callback.
    func attach() {
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        isAttached = true
    }

    /// Called by subclasses when their `uv_*_init` failed: nothing to close.
    func discardUninitialized() {
        handle.deallocate()
        isClosing = true
    }

    /// Closes the handle (`uv_close`); idempotent. Resources are freed in the close callback.
    public func close() {
        guard !isClosing else { return }
        isClosing = true
        precondition(isAttached, "close() on a handle that was never initialised")
        uv_close(handle) { handle in
            let object = Unmanaged<LoopHandle>.fromOpaque(handle!.pointee.data).takeRetainedValue()
            object.didClose()
            handle!.deallocate()
        }
    }

    /// Lets the loop exit while this handle is still open (`uv_unref`).
    public func unref() { uv_unref(handle) }

    /// Runs in the close callback; subclasses drop their callbacks here.
    func didClose() {}

    static func object<T: LoopHandle>(_ pointer: UnsafeMutableRawPointer?, as type: T.Type) -> T {
        unsafeDowncast(Unmanaged<LoopHandle>.fromOpaque(pointer!).takeUnretainedValue(), to: T.self)
    }
}

/// A timer on the loop (`uv_timer_t`).
public final class LoopTimer: LoopHandle {
    private var callback: (() -> Void)?

    public init(loop: EventLoop) {
        super.init(loop: loop, type: UV_TIMER)
        // uv_timer_init cannot fail.
        uv_timer_init(loop.raw, OpaquePointer(handle).assumingMemory(uv_timer_t.self))
        attach()
    }

    /// Starts (or restarts) the timer: first after `timeout` ms, then every `repeatEvery` ms (0: once).
    public func start(after timeout: UInt64, repeatEvery: UInt64 = 0, _ callback: @escaping () -> Void) {
        precondition(!isClosing, "start() on a closed timer")
        self.callback = callback
        uv_timer_start(OpaquePointer(handle).assumingMemory(uv_timer_t.self), { timer in
            let object = LoopHandle.object(timer!.pointee.data, as: LoopTimer.self)
            object.callback?()
        }, timeout, repeatEvery)
    }

    public func stop() {
        guard !isClosing else { return }
        uv_timer_stop(OpaquePointer(handle).assumingMemory(uv_timer_t.self))
    }

    override func didClose() { callback = nil }
}

/// A signal watcher on the loop (`uv_signal_t`): the callback runs on the loop's thread.
public final class SignalWatcher: LoopHandle {
    private var callback: ((Int32) -> Void)?

    public init(loop: EventLoop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws(UVError) {
        super.init(loop: loop, type: UV_SIGNAL)
        let signalHandle = OpaquePointer(handle).assumingMemory(uv_signal_t.self)
        uv_signal_init(loop.raw, signalHandle)
        attach()
        self.callback = callback
        // The signal must not stay blocked in this (the loop's) thread, or it is never delivered.
        _ = rb_unblock_signal(signal)
        let status = uv_signal_start(signalHandle, { handle, signum in
            let object = LoopHandle.object(handle!.pointee.data, as: SignalWatcher.self)
            object.callback?(signum)
        }, signal)
        if status < 0 {
            close()
            throw UVError(code: status, operation: "uv_signal_start(\(signal))")
        }
    }

    override func didClose() { callback = nil }
}

extension OpaquePointer {
    @inline(__always)
    func assumingMemory<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        UnsafeMutablePointer<T>(self)
    }
}
