#if canImport(Glibc)
import Glibc
#endif
import Logging
import UVLoop

/// The proxy's loop-bound state: the idle connection pool, the app's health, the app's process.
///
/// A restart is overlapped with the page load: on a change the old app is stopped at once and
/// the pages are told to reload right away; their requests wait here (*held*) until the new
/// app accepts connections, found by a connect poll that starts at 1 ms and backs off, then go
/// to it. A page never gets the old app after the reload (the pool is emptied and the new
/// requests wait for the old process to be gone), nor an error page, unless the app does not
/// come back within the upstream timeout (then the waiting page, which reloads once it does).
final class ProxyState {
    let configuration: ProxyConfiguration
    unowned let core: BrokerCore
    unowned let owner: ReverseProxy
    var loop: EventLoop { core.loop }
    var logger: Logger { core.logger }
    let timeout: UInt64

    /// Idle pooled connections, oldest first, with the loop time each was released at.
    private var idle: [(connection: TCPConnection, since: UInt64)] = []
    /// Closes idle connections older than the configuration's idle timeout; runs while any are idle.
    private var idleTimer: LoopTimer?
    private(set) var isStopping = false

    /// What the proxy knows of the app.
    enum Health {
        /// Not asked yet (an app that runs elsewhere).
        case unknown
        /// It answered, or accepted a connection after a start.
        case up
        /// It refused or went away: pages get the waiting page, a probe asks every `probeInterval`.
        case down
        /// Our command is starting it: requests are held until it accepts connections.
        case starting
    }
    private(set) var health = Health.unknown
    private var probeTimer: LoopTimer?
    private var livenessTimer: LoopTimer?
    private var probe: UpstreamProbe?
    /// Requests waiting for the app to accept connections (while ``Health/starting``).
    private var held: [ProxyExchange] = []
    /// Connect attempts since the app's last start (the poll's backoff).
    private var pollAttempts = 0
    private var startedAt: UInt64 = 0
    /// The app went down unannounced, or a waiting page went out: the pages reload once the app
    /// answers again.
    private var reloadWhenUp = false

    /// The app's process (with a command).
    private(set) var app: AppProcess?
    private var restarting: Bool { app?.isRestarting ?? false }
    private var restartDetector = RestartDetector()
    private var livenessTicks = 0
    /// No answer since the last start: the next one re-takes the restart detector's baseline.
    private var needsBaseline = true

    init(configuration: ProxyConfiguration, core: BrokerCore, owner: ReverseProxy) {
        self.configuration = configuration
        self.core = core
        self.owner = owner
        self.timeout = configuration.timeout.milliseconds
    }

    func begin() {
        if configuration.command != nil {
            startApp()
            if core.configuration.watch == nil {
                // The app reloads itself (e.g. `uvicorn --reload`): notice it restarting.
                let timer = LoopTimer(loop: loop)
                livenessTimer = timer
                let interval = max(configuration.livenessInterval.milliseconds, 1)
                timer.start(after: interval, repeatEvery: interval) { [unowned self] in self.checkLiveness() }
            }
        }
    }

    // MARK: Connections to the app

    /// An idle pooled connection, or a new one.
    func connect(fresh: Bool, _ completion: @escaping (Result<(TCPConnection, pooled: Bool), UVError>) -> Void) {
        while !fresh, let (connection, _) = idle.popLast() {
            if connection.isClosing { continue }
            completion(.success((connection, true)))
            return
        }
        TCPConnection.connect(loop: loop, host: configuration.upstreamHost, port: configuration.upstreamPort) {
            result in
            completion(result.map { ($0, false) })
        }
    }

    /// Keeps a connection whose exchange ended cleanly for the next request.
    func release(_ connection: TCPConnection) {
        guard !isStopping, health != .starting, !connection.isClosing, idle.count < configuration.maxIdleConnections
        else {
            connection.close()
            return
        }
        connection.delegate = IdleUpstream(proxy: self)
        connection.startReading()
        idle.append((connection, loop.now))
        scheduleIdleSweep()
    }

    func dropIdle(_ connection: TCPConnection) {
        idle.removeAll { $0.connection === connection }
        connection.close()
    }

    private func closeIdle() {
        for entry in idle { entry.connection.close() }
        idle = []
        idleTimer?.stop()
    }

    /// Arms the timer for the oldest idle connection's expiry.
    private func scheduleIdleSweep() {
        guard let oldest = idle.first, !isStopping else { return }
        let timeout = max(configuration.idleConnectionTimeout.milliseconds, 1)
        let timer = idleTimer ?? LoopTimer(loop: loop)
        idleTimer = timer
        let due = oldest.since + timeout
        timer.start(after: due > loop.now ? due - loop.now : 0) { [unowned self] in
            let now = loop.now
            while let first = idle.first, first.since + timeout <= now {
                idle.removeFirst()
                first.connection.close()
            }
            scheduleIdleSweep()
        }
    }

    // MARK: Held requests

    /// What an exchange about to connect should do.
    enum Admission {
        case proceed
        /// Held: ``ProxyExchange/resume()`` or ``ProxyExchange/appUnavailable(_:)`` follows.
        case held
    }

    /// Holds the exchange while the app is starting (also after a refused connection then).
    func admit(_ exchange: ProxyExchange) -> Admission {
        guard health == .starting, !isStopping else { return .proceed }
        held.removeAll { $0.isFinished }
        held.append(exchange)
        return .held
    }

    private func releaseHeld() {
        let waiting = held
        held = []
        for exchange in waiting { exchange.resume() }
    }

    private func failHeld(_ message: String) {
        let waiting = held
        held = []
        for exchange in waiting { exchange.appUnavailable(message) }
    }

    /// A waiting page went out for a navigation: reload the pages when the app is back.
    func servedWaitingPage() { reloadWhenUp = true }

    // MARK: Health

    /// A request could not reach the app (refused, reset).
    func upstreamFailed() {
        guard health != .down, health != .starting else { return }
        if health == .up || health == .unknown {
            logger.info("the app is not answering; pages get a waiting page", metadata: ["app": "\(configuration.authority)"])
        }
        health = .down
        reloadWhenUp = true  // the pages reload when it is back (a restart we did not see begin)
        scheduleProbe()
    }

    /// A connection to the app was reset or closed unanswered: down only if it refuses connections
    /// now (one failing request of a running app must not reload every page).
    func upstreamSuspect() {
        guard health != .down, health != .starting, probe == nil else { return }
        startProbe(connectOnly: true)
    }

    /// A response came from the app.
    func upstreamAnswered() {
        if needsBaseline, livenessTimer != nil, let group = app?.processGroup {
            // The first answer proves its server process exists: the group as it is now is the
            // one a self-restart replaces a member of.
            needsBaseline = false
            restartDetector.baseline(ProcessGroup.members(of: group))
        }
        guard health != .up else { return }
        let wasDown = health == .down
        becameReachable()
        if wasDown { logger.info("the app answers", metadata: ["app": "\(configuration.authority)"]) }
    }

    /// The app answered or accepted: held requests go to it, and pages that got a waiting page reload.
    private func becameReachable() {
        health = .up
        probeTimer?.stop()
        probe?.cancel()
        probe = nil
        if livenessTimer != nil, let group = app?.processGroup {
            restartDetector.baseline(ProcessGroup.members(of: group))  // to spot a self-restart
            livenessTicks = 0
        }
        releaseHeld()
        if reloadWhenUp {
            reloadWhenUp = false
            logger.info("the app is back: reloading the pages (it went away unannounced, or they got a waiting page)")
            core.broadcast(path: nil)
        }
    }

    private func scheduleProbe() {
        guard !isStopping, !restarting, probe == nil else { return }
        let timer = probeTimer ?? LoopTimer(loop: loop)
        probeTimer = timer
        let delay: UInt64
        if health == .starting {
            // Right after a start: every 2 ms for 2 s (most dev servers listen by then), every 8 ms
            // up to 10 s, then the probe interval. A refused loopback connect costs microseconds,
            // and the held pages wait for this poll: it is the restart's last step.
            let since = loop.now - startedAt
            delay = since < 2_000 ? (pollAttempts == 0 ? 1 : 2) : since < 10_000 ? 8 : configuration.probeInterval.milliseconds
            pollAttempts += 1
        } else {
            delay = configuration.probeInterval.milliseconds
        }
        timer.start(after: delay) { [unowned self] in
            self.startProbe(connectOnly: self.health == .starting)
        }
    }

    private func startProbe(connectOnly: Bool) {
        guard !isStopping, probe == nil else { return }
        let probe = UpstreamProbe(proxy: self, connectOnly: connectOnly)
        self.probe = probe
        probe.start()
    }

    func probeFinished(_ probe: UpstreamProbe, answered: Bool) {
        guard self.probe === probe else { return }
        self.probe = nil
        if isStopping { return }
        switch (health, answered) {
        case (.starting, true):
            logger.info("the app accepts connections", metadata: ["app": "\(configuration.authority)"])
            becameReachable()
        case (.starting, false):
            scheduleProbe()
        case (_, true):
            if !probe.connectOnly { upstreamAnswered() }
        case (_, false):
            if probe.connectOnly { upstreamFailed() } else { scheduleProbe() }
        }
    }

    /// With `--exec` and no `--watch` the app restarts itself. Two signs: a process of its group
    /// is replaced by a new one (reloaders such as `uvicorn --reload` or `flask --debug` keep the
    /// listening socket in a parent process and replace only the worker, so the port never
    /// refuses), or its port refuses connections. Each tick checks that the group's known
    /// processes still exist (cheap); every tenth, or while a process is missing, the whole group
    /// is read from `/proc`, and every tenth also connects. A replacement reloads the pages at
    /// once; their requests are held until the new process accepts.
    private func checkLiveness() {
        guard health == .up, !restarting, let group = app?.processGroup else { return }
        livenessTicks += 1
        // The whole group every tick for 2 s after it became reachable (a reloader forks its
        // worker only after it listens), then every tenth tick.
        let fullLook = livenessTicks % 10 == 0 || livenessTicks <= 40
        if fullLook || restartDetector.isSuspect || restartDetector.known.contains(where: { kill($0, 0) != 0 && errno == ESRCH }) {
            let verdict = restartDetector.observe(ProcessGroup.members(of: group), at: loop.now)
            if verdict == .restarted {
                logger.info("the app is restarting itself (a process of its group was replaced)")
                beginStart(announce: true)
                return
            }
        }
        if livenessTicks % 10 == 0, probe == nil { startProbe(connectOnly: true) }
    }

    // MARK: The app's process

    /// The app is (re)starting: hold requests and poll until it accepts; with `announce`, the
    /// pages reload now (their requests wait here for the new app).
    private func beginStart(announce: Bool) {
        health = .starting
        needsBaseline = true
        startedAt = loop.now
        pollAttempts = 0
        closeIdle()
        probeTimer?.stop()
        probe?.cancel()
        probe = nil
        if announce {
            reloadWhenUp = false
            core.broadcast(path: nil)
        }
        if !restarting { scheduleProbe() }
    }

    private func startApp() {
        guard let command = configuration.command else { return }
        let app = AppProcess(
            command: command, gracePeriod: configuration.gracePeriod, restartGracePeriod: configuration.restartGracePeriod,
            loop: loop, logger: logger, capturesOutput: configuration.appOutputLines > 0,
            outputLimits: (configuration.appOutputLines, configuration.appOutputBytes))
        self.app = app
        app.onChange = { [unowned self, unowned app] in self.owner.publish(app.status) }
        app.onStart = { [unowned self] in
            // Held requests go to it as soon as it accepts connections.
            self.beginStart(announce: false)
        }
        app.onExit = { [unowned self] exit in
            if self.configuration.exitWithApp {
                self.owner.recordExit(exit)
                self.core.beginStop()
            } else {
                self.health = .unknown
                self.upstreamFailed()
                self.failHeld("The app \(exit).")
            }
        }
        app.start()
    }

    /// File changes restart the app (when there is one) and reload the pages at once: their
    /// requests wait for the new process.
    func filesChanged(_ paths: [String]) -> Bool {
        guard let app, !isStopping else { return false }
        // While the old process is still stopping, the pages were told already and the process to
        // come reads the newest files: nothing to announce again.
        let announced = app.isRestarting
        app.restart()  // SIGTERM now; the new process starts once the old one's group is gone
        beginStart(announce: !announced)
        return true
    }

    func stop() {
        guard !isStopping else { return }
        isStopping = true
        closeIdle()
        idleTimer?.close()
        idleTimer = nil
        probeTimer?.close()
        probeTimer = nil
        livenessTimer?.close()
        livenessTimer = nil
        probe?.cancel()
        probe = nil
        failHeld("The broker is stopping.")
        app?.stop()
    }
}
