#if canImport(Glibc)
import Glibc
#endif
import Logging
import UVLoop

/// The app's dev command on the broker's loop: started in its own process group, restarted on
/// demand (SIGTERM to the group, SIGKILL after the restart grace, then a new process once it has
/// exited), stopped with the broker (SIGTERM, SIGKILL after the grace period). Loop-bound.
///
/// When the command is the exec guard (``ExecGuard``), the guard applies the grace period itself
/// and exits only once the whole group is gone; the SIGKILL here comes later, for a guard that
/// cannot (a SIGKILL to the group would end the guard before the app's processes are gone).
///
/// A restart of a guarded command starts the next run's guard at once, waiting at its start gate
/// (``StartGate``), so that the guard's own start-up (the broker's executable again, ~10-20 ms)
/// overlaps the old app's end; the gate opens once the old group is gone (the new app still
/// finds its port free).
///
/// With `capturesOutput` the app's standard output and error are pipes: their bytes still go to
/// the broker's own (the terminal shows what it always did) and the last of them are kept in
/// ``output`` for the waiting page, with ``state`` (running, exited with which status…).
final class AppProcess {
    let command: [String]
    /// The command as the user wrote it (the guard's last argument), for people to read.
    let displayCommand: String
    /// What the current (or last) run printed last; a new run starts empty.
    private(set) var output: AppOutputTail
    private(set) var state = AppStatus.State.notStarted
    /// The output or the state changed.
    var onChange: () -> Void = {}
    private let capturesOutput: Bool
    private let outputLimits: (lines: Int, bytes: Int)
    /// Counts starts: output still arriving from an earlier run's pipes is not this run's.
    private var run = 0
    private let loop: EventLoop
    private let logger: Logger
    /// Between SIGTERM to the group and SIGKILL to it, in milliseconds.
    private let killDelay: UInt64
    /// The same when restarting on a change: short, so a save does not wait for a slow graceful
    /// shutdown (uvicorn checks for SIGTERM only every 100 ms, then closes down).
    private let restartKillDelay: UInt64
    private let isGuarded: Bool
    /// A new process was started.
    var onStart: () -> Void = {}
    /// The process exited by itself (not asked to by a restart or a stop).
    var onExit: (SpawnedProcess.Exit) -> Void = { _ in }

    private var child: SpawnedProcess?
    /// During a restart of a guarded command: the next run's guard, waiting at its start gate,
    /// and the run it will be.
    private var standby: (process: SpawnedProcess, run: Int)?
    /// Ended runs whose output pipes are still open (something they started holds them): closed
    /// when the app stops, so the loop can end.
    private var ended: [SpawnedProcess] = []
    private var killTimer: LoopTimer?
    private(set) var isRestarting = false
    private var isStopping = false

    init(
        command: [String], gracePeriod: Duration, restartGracePeriod: Duration, loop: EventLoop, logger: Logger,
        capturesOutput: Bool = false, outputLimits: (lines: Int, bytes: Int) = (200, 64 * 1024)
    ) {
        self.command = command
        let guarded = command.count > 1 && command[1] == ExecGuard.subcommand
        self.isGuarded = guarded
        self.displayCommand = guarded ? command.last ?? "" : command.joined(separator: " ")
        self.capturesOutput = capturesOutput
        self.outputLimits = outputLimits
        self.output = AppOutputTail(maxLines: outputLimits.lines, maxBytes: outputLimits.bytes)
        self.killDelay = gracePeriod.milliseconds + (guarded ? UInt64(ExecGuard.killSettleMilliseconds) + 1000 : 0)
        self.restartKillDelay = min(restartGracePeriod.milliseconds, gracePeriod.milliseconds)
        self.loop = loop
        self.logger = logger
    }

    /// The app's process group (its guard's pid), while it runs.
    var processGroup: Int32? { child.map(\.pid) }

    /// A snapshot for the waiting page and the status endpoint.
    var status: AppStatus {
        AppStatus(command: displayCommand, state: state, pid: child?.pid, run: run, output: output)
    }

    func start() {
        guard !isStopping, child == nil else { return }
        do throws(UVError) {
            began(try spawn(run: run + 1, gated: false), run: run + 1)
        } catch {
            logger.error("cannot start the app", metadata: ["error": "\(error)"])
            state = .failedToStart("\(error)")
            onChange()
        }
    }

    /// Starts the command (the guard waiting at its gate when `gated`) as run `run`.
    private func spawn(run: Int, gated: Bool) throws(UVError) -> SpawnedProcess {
        let capture: ((OutputPipe.Stream, Span<UInt8>) -> Void)? =
            capturesOutput
            ? { [unowned self] stream, bytes in self.captured(bytes, from: stream, run: run) } : nil
        // The guard's flag goes right after its subcommand.
        let arguments = gated ? Array(command[...1]) + [GuardedCommand.waitForStartFlag] + command[2...] : command
        // Python block-buffers a piped standard output: without this, print() would reach the
        // terminal (and the page) late.
        return try SpawnedProcess(
            loop: loop, arguments: arguments, defaultEnvironment: capturesOutput ? ["PYTHONUNBUFFERED": "1"] : [:],
            gated: gated, onOutput: capture
        ) { [unowned self] exit in
            self.exited(exit, run: run)
        }
    }

    /// `process` is now the app, as run `run`.
    private func began(_ process: SpawnedProcess, run: Int) {
        self.run = run
        output = AppOutputTail(maxLines: outputLimits.lines, maxBytes: outputLimits.bytes)
        child = process
        state = .running
        logger.info("started the app (pid \(process.pid)): \(displayCommand)")
        onChange()
        onStart()
    }

    /// The next run's guard, started now and told to go once the old app is gone (a failure here
    /// only means the restart starts it then, as without a guard).
    private func startStandby() {
        guard isGuarded, standby == nil, !isStopping else { return }
        let next = run + 1
        if let process = try? spawn(run: next, gated: true) { standby = (process, next) }
    }

    private func captured(_ bytes: Span<UInt8>, from stream: OutputPipe.Stream, run: Int) {
        guard run == self.run else { return }
        var copy: [UInt8] = []
        copy.reserveCapacity(bytes.count)
        for index in bytes.indices { copy.append(bytes[index]) }
        output.append(copy, from: stream == .standardOutput ? .standardOutput : .standardError)
        onChange()
    }

    /// Stops the running process (if any) and starts a new one once it is gone.
    func restart() {
        guard !isStopping else { return }
        guard let child else {
            start()
            return
        }
        guard !isRestarting else { return }  // the next process starts after this change anyway
        logger.info("restarting the app")
        isRestarting = true
        state = .restarting
        onChange()
        terminate(child)
        // The next run's guard starts a moment later: a spawn blocks the loop until the child has
        // exec'd (milliseconds, more on a busy machine), and the reload this restart broadcasts
        // must reach the pages first.
        let standbyTimer = self.standbyTimer ?? LoopTimer(loop: loop)
        self.standbyTimer = standbyTimer
        standbyTimer.start(after: 1) { [unowned self] in
            if self.isRestarting, self.child != nil { self.startStandby() }
        }
        let hurry = hurryTimer ?? LoopTimer(loop: loop)
        hurryTimer = hurry
        hurry.start(after: restartKillDelay) { [unowned self] in
            guard self.isRestarting, let child = self.child else { return }
            // The guard kills what is left at once (and still exits only once the group is gone);
            // a command without the guard gets SIGKILL to its group.
            if self.isGuarded { child.signal(ExecGuard.hurrySignal) } else { child.signalGroup(SIGKILL) }
        }
    }

    private var hurryTimer: LoopTimer?
    private var standbyTimer: LoopTimer?

    /// Stops the process for good (the broker is stopping); the loop ends once it is gone.
    func stop() {
        guard !isStopping else { return }
        isStopping = true
        state = .stopped
        for process in ended { process.closeOutput() }
        ended = []
        standbyTimer?.close()
        standbyTimer = nil
        if let (process, _) = standby {
            // It waits at its gate, with no app yet: closing the gate ends it.
            process.startGate?.close()
            process.closeOutput()
        }
        if let child {
            terminate(child)  // its output goes on to the terminal until it has exited
        } else {
            killTimer?.close()
            killTimer = nil
            hurryTimer?.close()
            hurryTimer = nil
        }
    }

    private func terminate(_ child: SpawnedProcess) {
        child.signalGroup(SIGTERM)
        let timer = killTimer ?? LoopTimer(loop: loop)
        killTimer = timer
        timer.start(after: killDelay) { [unowned self] in
            if let child = self.child {
                self.logger.warning("the app did not stop in time: SIGKILL to its process group")
                child.signalGroup(SIGKILL)
            }
        }
    }

    private func exited(_ exit: SpawnedProcess.Exit, run: Int) {
        if let (process, next) = standby, next == run {
            // The next run's guard ended at its gate (the broker is stopping, or it could not
            // start): the restart starts a new process once the old one is gone, as without it.
            standby = nil
            process.closeOutput()
            return
        }
        // Asked to end, the guard exits once the group is empty, or gives up (a member stuck in
        // the kernel, one forked after its last look): whatever is left goes now, before a new
        // app could find its port taken.
        if isRestarting || isStopping, let child, child.signalLeftoverGroup(SIGKILL) {
            logger.warning("processes of the app outlived it: SIGKILL to its process group")
        }
        if let child, child.isOutputOpen {
            ended.removeAll { !$0.isOutputOpen }
            ended.append(child)
        }
        child = nil
        killTimer?.stop()
        hurryTimer?.stop()
        if isStopping {
            hurryTimer?.close()
            hurryTimer = nil
            // What the app printed last may still be in the pipes: a moment to read it, then
            // the pipes go whoever else holds them, so the loop can end.
            let lingering = ended
            ended = []
            if lingering.isEmpty {
                killTimer?.close()
                killTimer = nil
            } else if let killTimer {
                killTimer.start(after: 300) { [unowned self] in
                    for process in lingering { process.closeOutput() }
                    self.killTimer?.close()
                    self.killTimer = nil
                }
            } else {
                for process in lingering { process.closeOutput() }
            }
            return
        }
        if isRestarting {
            isRestarting = false
            if let (process, next) = standby {
                standby = nil
                process.startGate?.open()
                began(process, run: next)
            } else {
                start()
            }
            return
        }
        logger.error("the app \(exit); waiting for a change to start it again")
        state = .exited(exit)
        onChange()
        onExit(exit)
    }
}
