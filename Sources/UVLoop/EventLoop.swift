import CLibUV
import Synchronization

/// SIGPIPE is ignored (once, before the first loop) so that writing to a connection the peer
/// has reset fails with EPIPE instead of killing the process; see `rb_ignore_sigpipe`.
private let sigpipeIgnored: Void = rb_ignore_sigpipe()

/// One libuv event loop: the thread that runs it owns every handle on it.
///
/// Ownership: an `EventLoop` owns its `uv_loop_t`, a wake-up `uv_async_t`
/// (the one thread-safe door, see ``LoopExecutor``) and one read buffer that
/// all connections of the loop share (libuv asks for a buffer right before
/// each `read(2)` and hands it back in the read callback on the same thread,
/// so one buffer per loop is enough: idle connections own no read memory).
///
/// Lifecycle: create it, add handles, ``run()`` on one thread, close every
/// handle, then ``close()`` on that same thread. `close()` checks that
/// `uv_loop_close` succeeds, i.e. that nothing was left open. An `EventLoop`
/// is not `Sendable`: only its ``executor`` crosses threads.
public final class EventLoop {
    let raw: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    /// The thread-safe door into this loop.
    public let executor: LoopExecutor
    /// Shared by every connection of this loop; valid only inside a read callback.
    let readBuffer: UnsafeMutableRawBufferPointer
    public private(set) var isClosed = false
    private var isWakeupClosed = false

    /// Creates a loop. `readBufferSize` is the size of the one read buffer shared by all connections.
    public init(readBufferSize: Int = 64 * 1024) throws(UVError) {
        _ = sigpipeIgnored
        let raw = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let status = uv_loop_init(raw)
        if status < 0 {
            raw.deallocate()
            throw UVError(code: status, operation: "uv_loop_init")
        }
        let wakeup = UnsafeMutablePointer<uv_async_t>.allocate(capacity: 1)
        // uv_async_init cannot fail on a freshly initialised loop.
        try! UVError.check(uv_async_init(raw, wakeup, { handle in
            let executor = Unmanaged<LoopExecutor>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            executor.drain()
        }), "uv_async_init")
        self.raw = raw
        self.wakeup = wakeup
        self.executor = LoopExecutor(wakeup: wakeup)
        self.readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
        wakeup.pointee.data = Unmanaged.passUnretained(executor).toOpaque()
        // The wake-up handle alone must not keep `run()` from returning.
        uv_unref(UnsafeMutableRawPointer(wakeup).assumingMemoryBound(to: uv_handle_t.self))
        raw.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// Runs the loop on the calling thread until no handle keeps it alive or ``stop()`` is called.
    public func run() {
        precondition(!isClosed, "run() on a closed EventLoop")
        executor.enter(thread: uv_thread_self())
        uv_run(raw, UV_RUN_DEFAULT)
        executor.leave()
    }

    /// Makes ``run()`` return after the current iteration (on the loop's thread).
    public func stop() { uv_stop(raw) }

    /// The loop's cached time in milliseconds (updated once per iteration).
    public var now: UInt64 { uv_now(raw) }

    /// Whether the caller is on the thread currently running this loop.
    public var inLoopThread: Bool { executor.inLoopThread }

    /// Closes the loop after every other handle has been closed; call on the
    /// thread that ran it, after ``run()`` returned. Work still queued from other threads
    /// runs once more here (so callers waiting for it are not left hanging); from now on
    /// ``LoopExecutor/execute(_:)`` returns false. Traps when handles are still open: that is
    /// a bug of the owner.
    public func close() {
        if case .handlesStillOpen(let names) = closeReportingOpenHandles() {
            preconditionFailure("uv_loop_close: handles still open: \(names)")
        }
    }

    /// What ``closeReportingOpenHandles()`` found.
    public enum CloseResult: Equatable, Sendable {
        /// `uv_loop_close` returned 0: nothing was left open, the loop is gone.
        case closed
        /// `uv_loop_close` refused: handles of these types (`"timer"`, `"tcp"`, …) are still
        /// open. The loop stays open: close them, then call this again.
        case handlesStillOpen([String])
    }

    /// ``close()`` that reports handles still open instead of trapping (the UVLoop tests check
    /// with it that every handle was closed).
    public func closeReportingOpenHandles() -> CloseResult {
        precondition(!isClosed, "EventLoop closed twice")
        executor.enter(thread: uv_thread_self())
        for work in executor.shutDown() { work() }
        if !isWakeupClosed {
            isWakeupClosed = true
            uv_close(UnsafeMutableRawPointer(wakeup).assumingMemoryBound(to: uv_handle_t.self), nil)
        }
        uv_run(raw, UV_RUN_DEFAULT)  // runs the close callbacks still pending
        executor.leave()
        let status = uv_loop_close(raw)
        if status != 0 {
            final class Names { var list: [String] = [] }
            let names = Names()
            uv_walk(raw, { handle, argument in
                let names = Unmanaged<Names>.fromOpaque(argument!).takeUnretainedValue()
                let type = uv_handle_type_name(handle!.pointee.type)
                names.list.append(type.map { String(cString: $0) } ?? "unknown")
            }, Unmanaged.passUnretained(names).toOpaque())
            return .handlesStillOpen(names.list)
        }
        isClosed = true
        wakeup.deallocate()
        raw.deallocate()
        readBuffer.deallocate()
        return .closed
    }

    deinit {
        precondition(isClosed, "leak of an EventLoop that was never closed")
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    /// `uv_read_start` on a stream of this loop, every read landing in the loop's one buffer.
    static func startReading(_ stream: UnsafeMutablePointer<uv_stream_t>, onRead: uv_read_cb) -> Int32 {
        uv_read_start(stream, { handle, _, buffer in
            let loop = EventLoop.from(handle!.pointee.loop)
            buffer!.pointee = uv_buf_init(
                loop.readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(loop.readBuffer.count))
        }, onRead)
    }
}

/// The thread-safe door into an ``EventLoop``: queue work from any thread; it
/// runs on the loop's thread, in order.
///
/// `uv_async_send` is libuv's only thread-safe call and it coalesces wake-ups,
/// so the queue is drained whole in each wake-up callback.
public final class LoopExecutor: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var isShutDown = false
    }
    /// A pthread mutex (`uv_mutex_t`) rather than `Synchronization.Mutex`: ThreadSanitizer sees
    /// the hand-over of work through it (it cannot through Mutex's futex under contention, and
    /// reported the closures passed here as races).
    private let state = PthreadLocked(State())
    private let loopThread = Atomic<UInt>(0)
    // Written once in init; uv_async_send is thread-safe; used under `state`'s lock only.
    nonisolated(unsafe) private let wakeup: UnsafeMutablePointer<uv_async_t>

    init(wakeup: UnsafeMutablePointer<uv_async_t>) {
        self.wakeup = wakeup
    }

    /// Queues `work` to run on the loop's thread. Returns false (and drops the
    /// work) when the loop has been closed.
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard !state.isShutDown else { return false }
            state.queue.append(work)
            if state.queue.count == 1 { uv_async_send(wakeup) }
            return true
        }
    }

    /// Whether the caller is on the thread running the loop.
    public var inLoopThread: Bool {
        let current = loopThread.load(ordering: .relaxed)
        return current != 0 && current == UInt(uv_thread_self())
    }

    func enter(thread: uv_thread_t) { loopThread.store(UInt(thread), ordering: .relaxed) }
    func leave() { loopThread.store(0, ordering: .relaxed) }

    func drain() {
        let work = state.withLock { state in
            let work = state.queue
            state.queue = []
            return work
        }
        for item in work { item() }
    }

    /// Refuses further work and returns what was still queued.
    func shutDown() -> [@Sendable () -> Void] {
        state.withLock { state in
            state.isShutDown = true
            let left = state.queue
            state.queue = []
            return left
        }
    }
}

/// A value behind a `uv_mutex_t` (a pthread mutex). Used instead of `Synchronization.Mutex` for
/// every lock of the broker: with Swift 6.3.1 on Linux, ThreadSanitizer cannot see Mutex's
/// hand-over under contention and reports what it protects as races (HARDENING.md), which hides
/// real ones; TSan intercepts pthread mutexes.
public final class PthreadLocked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<uv_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        // uv_mutex_init fails only without memory for the attributes; nothing sensible to do then.
        precondition(uv_mutex_init(mutex) == 0, "uv_mutex_init failed")
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        uv_mutex_lock(mutex)
        defer { uv_mutex_unlock(mutex) }
        return try body(&value)
    }

    deinit {
        uv_mutex_destroy(mutex)
        mutex.deallocate()
    }
}
