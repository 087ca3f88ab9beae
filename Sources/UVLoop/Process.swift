#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// A child process on the loop (`uv_process_t`), started in a process group of its own
/// (`UV_PROCESS_DETACHED`: `setsid`), so ``signalGroup(_:)`` reaches everything it started.
///
/// Standard input is `/dev/null` (or, with `gated`, a ``StartGate`` the child waits on);
/// standard output and error are the broker's own (inherited), or,
/// with `onOutput`, pipes whose bytes are copied to the broker's own and handed to `onOutput`
/// (see ``OutputPipe``). The exit callback runs on the loop's thread; the handle closes itself
/// after it. The pipes close at end of input (every writer gone) or with ``closeOutput()``.
public final class SpawnedProcess: LoopHandle {
    /// How a child ended.
    public enum Exit: Sendable, Equatable, CustomStringConvertible {
        /// It exited by itself, with this status.
        case exited(status: Int64)
        /// A signal ended it.
        case killed(signal: Int32)

        /// From libuv's exit callback, which gives both (the signal 0 when it exited).
        init(status: Int64, signal: Int32) {
            self = signal != 0 ? .killed(signal: signal) : .exited(status: status)
        }

        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .killed(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// The child's process id, which is also its process group id.
    public private(set) var pid: Int32 = 0
    /// Set once it has exited.
    public private(set) var exit: Exit?
    private var onExit: ((Exit) -> Void)?
    /// The reading ends of the child's output, when it is captured.
    private var pipes: [OutputPipe] = []
    /// With `gated`: the child's standard input, its start signal.
    public private(set) var startGate: StartGate?

    /// Starts `arguments[0]` (looked up in `PATH` when it has no `/`) with `arguments`.
    /// `defaultEnvironment` sets variables the broker's own environment does not have. With
    /// `gated`, standard input is a pipe from ``startGate`` (for a child that waits to be told).
    public init(
        loop: EventLoop, arguments: [String], defaultEnvironment: [String: String] = [:], gated: Bool = false,
        onOutput: ((OutputPipe.Stream, Span<UInt8>) -> Void)? = nil,
        onExit: @escaping (Exit) -> Void
    ) throws(UVError) {
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
        var environment: [UnsafeMutablePointer<CChar>?] = []
        if !defaultEnvironment.isEmpty {
            var index = 0
            while let entry = environ[index] {
                environment.append(strdup(entry))
                index += 1
            }
            for (name, value) in defaultEnvironment.sorted(by: { $0.key < $1.key }) where getenv(name) == nil {
                environment.append(strdup("\(name)=\(value)"))
            }
            environment.append(nil)
        }
        defer { for pointer in environment { free(pointer) } }
        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: 3)
        if gated {
            let gate = StartGate(loop: loop)
            startGate = gate
            stdio[0].flags = uv_stdio_flags(UV_CREATE_PIPE.rawValue | UV_READABLE_PIPE.rawValue)
            stdio[0].data.stream = OpaquePointer(gate.pipe).assumingMemory(uv_stream_t.self)
        } else {
            stdio[0].flags = UV_IGNORE
        }
        if let onOutput {
            for (index, stream) in [(1, OutputPipe.Stream.standardOutput), (2, .standardError)] {
                let pipe = OutputPipe(loop: loop, stream: stream) { bytes in onOutput(stream, bytes) }
                pipes.append(pipe)
                stdio[index].flags = uv_stdio_flags(UV_CREATE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue)
                stdio[index].data.stream = OpaquePointer(pipe.pipe).assumingMemory(uv_stream_t.self)
            }
        } else {
            stdio[1].flags = UV_INHERIT_FD
            stdio[1].data.fd = 1
            stdio[2].flags = UV_INHERIT_FD
            stdio[2].data.fd = 2
        }
        let status = cStrings.withUnsafeMutableBufferPointer { argv in
            stdio.withUnsafeMutableBufferPointer { stdio in
                environment.withUnsafeMutableBufferPointer { envp in
                    var options = uv_process_options_t()
                    options.file = UnsafePointer(argv[0])
                    options.args = argv.baseAddress
                    options.env = envp.isEmpty ? nil : envp.baseAddress
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
        }
        // uv_spawn initialises the handle even when it fails: it must be closed either way.
        attach()
        if status < 0 {
            close()
            closeOutput()
            startGate?.close()
            throw UVError(code: status, operation: "spawn(\(arguments[0]))")
        }
        pid = process.pointee.pid
        for pipe in pipes { pipe.startReading() }
    }

    /// Whether a pipe of the child's output is still open (a process it started may hold it).
    public var isOutputOpen: Bool { pipes.contains { !$0.isClosing } }

    /// Stops reading the child's output (the broker is stopping: a process that left the group
    /// may hold the pipes open forever).
    public func closeOutput() {
        for pipe in pipes { pipe.close() }
        pipes = []
    }

    private func didExit(_ exit: Exit) {
        self.exit = exit
        startGate?.close()
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
