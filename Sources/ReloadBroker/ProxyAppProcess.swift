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
final class AppProcess {
    let command: [String]
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
    private var killTimer: LoopTimer?
    private(set) var isRestarting = false
    private var isStopping = false

    init(command: [String], gracePeriod: Duration, restartGracePeriod: Duration, loop: EventLoop, logger: Logger) {
        self.command = command
        let guarded = command.count > 1 && command[1] == ExecGuard.subcommand
        self.isGuarded = guarded
        self.killDelay = gracePeriod.milliseconds + (guarded ? UInt64(ExecGuard.killSettleMilliseconds) + 1000 : 0)
        self.restartKillDelay = min(restartGracePeriod.milliseconds, gracePeriod.milliseconds)
        self.loop = loop
        self.logger = logger
    }

    var isRunning: Bool { child != nil }

    /// The app's process group (its guard's pid), while it runs.
    var processGroup: Int32? { child.map(\.pid) }

    func start() {
        guard !isStopping, child == nil else { return }
        do throws(UVError) {
            let child = try SpawnedProcess(loop: loop, arguments: command) { [unowned self] exit in
                self.exited(exit)
            }
            self.child = child
            logger.info("started the app (pid \(child.pid)): \(command.last ?? "")")
        } catch {
            logger.error("cannot start the app: \(error)")
            return
        }
        onStart()
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
        terminate(child)
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

    /// Stops the process for good (the broker is stopping); the loop ends once it is gone.
    func stop() {
        guard !isStopping else { return }
        isStopping = true
        if let child {
            terminate(child)
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

    private func exited(_ exit: SpawnedProcess.Exit) {
        // Asked to end, the guard exits once the group is empty, or gives up (a member stuck in
        // the kernel, one forked after its last look): whatever is left goes now, before a new
        // app could find its port taken.
        if isRestarting || isStopping, let child, child.signalLeftoverGroup(SIGKILL) {
            logger.warning("processes of the app outlived it: SIGKILL to its process group")
        }
        child = nil
        killTimer?.stop()
        hurryTimer?.stop()
        if isStopping {
            killTimer?.close()
            killTimer = nil
            hurryTimer?.close()
            hurryTimer = nil
            return
        }
        if isRestarting {
            isRestarting = false
            start()
            return
        }
        logger.error("the app \(exit); waiting for a change to start it again")
        onExit(exit)
    }
}
