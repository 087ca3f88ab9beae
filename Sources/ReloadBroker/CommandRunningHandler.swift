import HTTPCodec
import Synchronization
import UVLoop

/// Runs the app's dev command next to a broker that serves files itself (`serve --exec`):
/// the command is restarted on every settled file change, and the broker reloads as usual.
/// Requests go to `inner` (or the demo page when it is nil).
///
/// Sendable like ``ReverseProxy``: its loop-side state is created in `attach` and used on the
/// broker's loop only.
public final class CommandRunningHandler: RequestHandler, BrokerAttachment, @unchecked Sendable {
    public let inner: (any RequestHandler)?
    let command: [String]
    let gracePeriod: Duration
    let restartGracePeriod: Duration
    let exitWithApp: Bool
    private let exitStatus = PthreadLocked<SpawnedProcess.Exit?>(nil)
    private var app: AppProcess?
    private unowned(unsafe) var core: BrokerCore?

    public init(
        inner: (any RequestHandler)?, command: [String], gracePeriod: Duration = .seconds(3),
        restartGracePeriod: Duration = .milliseconds(25), exitWithApp: Bool = false
    ) {
        self.inner = inner
        self.command = command
        self.gracePeriod = gracePeriod
        self.restartGracePeriod = restartGracePeriod
        self.exitWithApp = exitWithApp
    }

    /// How the command ended when it stopped the broker (`exitWithApp`).
    public var appExit: SpawnedProcess.Exit? { exitStatus.withLock { $0 } }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if let inner {
            inner.handle(request, responder: responder)
        } else if let core {
            DemoPage.handle(request, responder: responder, core: core)
        }
    }

    func attach(to core: BrokerCore) {
        guard app == nil else { return }
        self.core = core
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

    func filesChanged(_ paths: [String]) -> Bool {
        app?.restart()
        return false  // the broker reloads (or swaps stylesheets) as usual
    }

    func stop() {
        app?.stop()
    }
}
