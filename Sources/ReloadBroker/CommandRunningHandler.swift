import Synchronization
import UVLoop

/// Runs the app's dev command next to a broker that serves files itself (`serve --exec`):
/// the command is restarted on every settled file change, and the broker reloads as usual.
/// Set it as ``BrokerConfiguration/appCommand``; requests go to the configuration's fallback.
///
/// Sendable like ``ReverseProxy``: its loop-side state is created in `attach` and used on the
/// broker's primary loop only.
public final class CommandRunningHandler: BrokerAttachment, @unchecked Sendable {
    let command: [String]
    let gracePeriod: Duration
    let restartGracePeriod: Duration
    let exitWithApp: Bool
    private let exitStatus = PthreadLocked<SpawnedProcess.Exit?>(nil)
    /// Loop-bound; set in `attach` (before the loop runs) and then used on the loop's thread only.
    private var app: AppProcess?

    public init(
        command: [String], gracePeriod: Duration = .seconds(3), restartGracePeriod: Duration = .milliseconds(ProxyConfiguration.defaultRestartGraceMilliseconds),
        exitWithApp: Bool = false
    ) {
        self.command = command
        self.gracePeriod = gracePeriod
        self.restartGracePeriod = restartGracePeriod
        self.exitWithApp = exitWithApp
    }

    /// How the command ended when it stopped the broker (`exitWithApp`).
    public var appExit: SpawnedProcess.Exit? { exitStatus.withLock { $0 } }

    func attach(to core: BrokerCore) {
        guard app == nil else { return }
        let app = AppProcess(
            command: command, gracePeriod: gracePeriod, restartGracePeriod: restartGracePeriod, loop: core.loop,
            logger: core.logger)
        self.app = app
        app.onExit = { [unowned self, unowned core] exit in
            guard self.exitWithApp else { return }
            self.exitStatus.withLock { $0 = exit }
            core.beginStop()
        }
        app.start()
    }

    func filesChanged(_ paths: [String]) -> FileChangeHandling {
        app?.restart()
        return .broadcast  // the broker reloads (or swaps stylesheets) as usual
    }

    func stop() {
        app?.stop()
    }
}
