#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// A child process on the loop (`uv_process_t`), started in a process group of its own
/// (`UV_PROCESS_DETACHED`: `setsid`), so ``signalGroup(_:)`` reaches everything it started.
///
/// Standard input is `/dev/null`; standard output and error are the broker's own (inherited).
/// The exit callback runs on the loop's thread; the handle closes itself after it.
public final class SpawnedProcess: LoopHandle {
    /// How a child ended.
    public struct Exit: Sendable, Equatable, CustomStringConvertible {
        /// The exit status (0 when killed by a signal).
        public var status: Int64
        /// The signal that killed it, 0 when it exited.
        public var signal: Int32

        public var description: String {
            signal != 0 ? "killed by signal \(signal)" : "exited with status \(status)"
        }
    }

    /// The child's process id, which is also its process group id.
    public private(set) var pid: Int32 = 0
    /// Set once it has exited.
    public private(set) var exit: Exit?
    private var onExit: ((Exit) -> Void)?

    /// Starts `arguments[0]` (looked up in `PATH` when it has no `/`) with `arguments`.
    public init(loop: EventLoop, arguments: [String], onExit: @escaping (Exit) -> Void) throws(UVError) {
        precondition(!arguments.isEmpty, "no program to run")
        // libuv learns of the exit through SIGCHLD: it must not stay blocked in the loop's thread
        // (a parent such as a test runner may have started us with it blocked).
        _ = rb_unblock_signal(SIGCHLD)
        super.init(loop: loop, type: UV_PROCESS)
        self.onExit = onExit
        let process = OpaquePointer(handle).assumingMemory(uv_process_t.self)
        var cStrings: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cStrings.append(nil)
        defer { for pointer in cStrings { free(pointer) } }
        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: 3)
        stdio[0].flags = UV_IGNORE
        stdio[1].flags = UV_INHERIT_FD
        stdio[1].data.fd = 1
        stdio[2].flags = UV_INHERIT_FD
        stdio[2].data.fd = 2
        let status = cStrings.withUnsafeMutableBufferPointer { argv in
            stdio.withUnsafeMutableBufferPointer { stdio in
                var options = uv_process_options_t()
                options.file = UnsafePointer(argv[0])
                options.args = argv.baseAddress
                options.stdio_count = 3
                options.stdio = stdio.baseAddress
                options.flags = UInt32(UV_PROCESS_DETACHED.rawValue)
                options.exit_cb = { raw, status, signal in
                    let child = LoopHandle.object(raw!.pointee.data, as: SpawnedProcess.self)
                    child.didExit(Exit(status: status, signal: signal))
                }
                return uv_spawn(loop.raw, process, &options)
            }
        }
        // uv_spawn initialises the handle even when it fails: it must be closed either way.
        attach()
        if status < 0 {
            close()
            throw UVError(code: status, operation: "spawn(\(arguments[0]))")
        }
        pid = process.pointee.pid
    }

    private func didExit(_ exit: Exit) {
        self.exit = exit
        let callback = onExit
        onExit = nil
        close()
        callback?(exit)
    }

    /// Sends `signal` to the child alone; false when it is gone already.
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        guard exit == nil, pid > 0 else { return false }
        return uv_kill(pid, signal) == 0
    }

    /// Sends `signal` to the child's whole process group; false when it is gone already.
    @discardableResult
    public func signalGroup(_ signal: Int32) -> Bool {
        guard exit == nil, pid > 0 else { return false }
        return uv_kill(-pid, signal) == 0
    }

    /// Sends `signal` to what is left of the process group this process led, after it has exited
    /// (members it could not wait for). Safe from pid reuse: Linux keeps a group's id allocated
    /// while any member has it. False when the group is empty.
    @discardableResult
    public func signalLeftoverGroup(_ signal: Int32) -> Bool {
        guard pid > 0 else { return false }
        return uv_kill(-pid, signal) == 0
    }

    override func didClose() { onExit = nil }
}
