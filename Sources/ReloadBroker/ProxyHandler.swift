#if canImport(Glibc)
import Glibc
#endif
import HTTPCodec
import Logging
import Synchronization
import UVLoop

/// A reverse proxy in front of an app, on the broker's loop: every request outside the broker's
/// prefix is forwarded, HTML pages come back with the client injected, everything else passes
/// byte for byte. Optionally runs the app's dev command and restarts it on file changes, reloading
/// the pages only once the new process answers.
///
/// Use it as ``BrokerConfiguration/fallback``. One proxy per broker. Sendable because it only
/// keeps configuration and the app's exit status; its working state lives on the broker's loop
/// (created in `attach(to:)`) and is touched from that thread only.
public final class ReverseProxy: StreamingRequestHandler, BrokerAttachment, @unchecked Sendable {
    public let configuration: ProxyConfiguration
    private let exitStatus = PthreadLocked<SpawnedProcess.Exit?>(nil)
    /// Loop-bound; set in `attach` (before the loop runs) and then used on the loop's thread only.
    private var state: ProxyState?

    public init(configuration: ProxyConfiguration) {
        self.configuration = configuration
    }

    /// How the app ended when it stopped the broker (``ProxyConfiguration/exitWithApp``).
    public var appExit: SpawnedProcess.Exit? { exitStatus.withLock { $0 } }

    func recordExit(_ exit: SpawnedProcess.Exit) { exitStatus.withLock { $0 = exit } }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        // Not used: the connection delivers heads through handle(head:responder:).
        let receiver = handle(head: request.head, responder: responder)
        if !request.body.isEmpty { _ = receiver?.receive(request.body) }
        receiver?.end()
    }

    public func handle(head: RequestHead, responder: HTTPResponder) -> (any RequestBodyReceiver)? {
        // Its state is bound to the loop it attached to: a request on another loop (a broker with
        // several loops) must not touch it.
        guard let state, state.loop === responder.loop else {
            responder.respond(BrokerCore.plain(.badGateway, "The proxy is not attached to this broker loop.\n"))
            return nil
        }
        // The app's own WebSockets (HMR, live data) get the broker's cross-site WebSocket hijacking
        // defence too: a page of a foreign origin cannot open one through the proxy.
        if head.headers.contains("Upgrade"), let origin = head.headers["Origin"],
            !responder.connection.core.policy.allowsOrigin(origin)
        {
            state.logger.warning("refused a proxied WebSocket from a foreign Origin", metadata: ["origin": "\(origin)"])
            responder.connection.fail(
                status: .forbidden,
                detail: "Origin \"\(origin)\" is not allowed. Allow it with --allow-origin (allowedOrigins when embedding).")
            return nil
        }
        let exchange = ProxyExchange(proxy: state, request: head, responder: responder)
        exchange.start()
        return exchange
    }

    func attach(to core: BrokerCore) {
        guard state == nil else {
            core.logger.warning("one proxy serves one broker loop; this loop proxies nothing")
            return
        }
        let state = ProxyState(configuration: configuration, core: core, owner: self)
        self.state = state
        state.begin()
    }

    func filesChanged(_ paths: [String]) -> Bool {
        state?.filesChanged(paths) ?? false
    }

    func stop() {
        state?.stop()
    }
}

/// The proxy's loop-bound state: the idle connection pool, the app's health, the app's process.
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

    // Health of the app.
    enum Health { case unknown, up, down }
    private(set) var health = Health.unknown
    private var probeTimer: LoopTimer?
    private var livenessTimer: LoopTimer?
    private var probe: UpstreamProbe?
    /// A reload is owed to the pages once the app answers again.
    private var reloadWhenUp = false

    /// The app's process (with a command).
    private var app: AppProcess?
    private var restarting: Bool { app?.isRestarting ?? false }

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
                // The app reloads itself (e.g. `uvicorn --reload`): notice it going away.
                let timer = LoopTimer(loop: loop)
                livenessTimer = timer
                let interval = configuration.livenessInterval.milliseconds
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
        guard !isStopping, !connection.isClosing, idle.count < configuration.maxIdleConnections else {
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

    // MARK: Health

    /// A request could not reach the app (refused, reset).
    func upstreamFailed() {
        guard health != .down else { return }
        if health == .up || health == .unknown {
            logger.warning("the app at \(configuration.authority) is not answering; pages get a waiting page")
        }
        health = .down
        reloadWhenUp = true
        scheduleProbe()
    }

    /// A connection to the app was reset or closed unanswered: down only if it refuses connections
    /// now (one failing request of a running app must not reload every page).
    func upstreamSuspect() {
        guard health != .down, probe == nil else { return }
        startProbe(connectOnly: true)
    }

    /// A response came from the app.
    func upstreamAnswered() {
        guard health != .up else { return }
        let wasDown = health == .down
        health = .up
        stopProbing()
        if livenessTimer != nil, let group = app?.processGroup {
            knownMembers = ProcessGroup.members(of: group)  // the baseline for spotting a self-restart
        }
        if wasDown || reloadWhenUp {
            logger.info("the app answers at \(configuration.authority)")
        }
        if reloadWhenUp {
            reloadWhenUp = false
            core.broadcast(path: nil)
        }
    }

    private func scheduleProbe() {
        guard !isStopping, !restarting, probe == nil else { return }
        let timer = probeTimer ?? LoopTimer(loop: loop)
        probeTimer = timer
        timer.start(after: configuration.probeInterval.milliseconds) { [unowned self] in
            self.startProbe(connectOnly: false)
        }
    }

    private func stopProbing() {
        probeTimer?.stop()
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
        if answered {
            if !probe.connectOnly { upstreamAnswered() }
        } else if probe.connectOnly {
            upstreamFailed()
        } else {
            scheduleProbe()
        }
    }

    /// Members of the app's process group at the previous check (or when the app last answered).
    private var knownMembers: Set<Int32> = []

    /// With `--exec` and no `--watch` the app restarts itself. Two signs: its port refuses
    /// connections (a plain restart), or a process of its group is replaced by a new one between
    /// two checks (reloaders such as `uvicorn --reload` or `flask --debug` keep the listening
    /// socket in a parent process and replace only the worker, so the port never refuses; a
    /// subprocess that merely comes or goes is not a replacement). Either way the pages reload
    /// once the app answers HTTP again.
    private func checkLiveness() {
        guard health == .up, probe == nil, !restarting else { return }
        if let group = app?.processGroup {
            let members = ProcessGroup.members(of: group)
            let replaced = !knownMembers.subtracting(members).isEmpty && !members.subtracting(knownMembers).isEmpty
            knownMembers = members
            if replaced {
                logger.info("the app is restarting itself (a process of its group was replaced)")
                health = .down
                reloadWhenUp = true
                scheduleProbe()
                return
            }
        }
        startProbe(connectOnly: true)
    }

    // MARK: The app's process

    private func startApp() {
        guard let command = configuration.command else { return }
        let app = AppProcess(command: command, gracePeriod: configuration.gracePeriod, loop: loop, logger: logger)
        self.app = app
        app.onStart = { [unowned self] in
            // Wait for it to answer; pages reload once it does.
            self.health = .down
            self.reloadWhenUp = true
            self.scheduleProbe()
        }
        app.onExit = { [unowned self] exit in
            if self.configuration.exitWithApp {
                self.owner.recordExit(exit)
                self.core.beginStop()
            } else {
                self.upstreamFailed()
            }
        }
        app.start()
    }

    /// File changes restart the app (when there is one); the reload follows once it answers.
    func filesChanged(_ paths: [String]) -> Bool {
        guard let app, !isStopping else { return false }
        health = .down
        reloadWhenUp = true
        stopProbing()
        probe?.cancel()
        probe = nil
        closeIdle()
        app.restart()
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
        app?.stop()
    }
}

/// Watches an idle pooled connection: anything from the app (EOF, data, error) retires it.
private final class IdleUpstream: TCPConnectionDelegate {
    unowned let proxy: ProxyState

    init(proxy: ProxyState) { self.proxy = proxy }

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) { proxy.dropIdle(connection) }
    func connectionDidReachEndOfInput(_ connection: TCPConnection) { proxy.dropIdle(connection) }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection, error: UVError?) { proxy.dropIdle(connection) }
}

/// Asks the app whether it is up: connects and (unless `connectOnly`) waits for a status line.
final class UpstreamProbe: TCPConnectionDelegate {
    unowned let proxy: ProxyState
    let connectOnly: Bool
    private var connection: TCPConnection?
    private var timer: LoopTimer?
    private var received: [UInt8] = []
    private var finished = false

    init(proxy: ProxyState, connectOnly: Bool) {
        self.proxy = proxy
        self.connectOnly = connectOnly
    }

    func start() {
        let timer = LoopTimer(loop: proxy.loop)
        self.timer = timer
        timer.start(after: min(proxy.timeout, 5000)) { [weak self] in self?.finish(answered: false) }
        TCPConnection.connect(
            loop: proxy.loop, host: proxy.configuration.upstreamHost, port: proxy.configuration.upstreamPort
        ) { [weak self] result in
            guard let self else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .failure:
                self.finish(answered: false)
            case .success(let connection):
                guard !self.finished else {
                    connection.close()
                    return
                }
                self.connection = connection
                if self.connectOnly {
                    self.finish(answered: true)
                    return
                }
                connection.delegate = self
                connection.startReading()
                let request = "HEAD / HTTP/1.1\r\nHost: \(self.proxy.configuration.authority)\r\nUser-Agent: reload-broker-probe\r\nConnection: close\r\n\r\n"
                connection.write(Array(request.utf8))
            }
        }
    }

    func cancel() {
        finished = true
        timer?.close()
        timer = nil
        connection?.close()
        connection = nil
    }

    private func finish(answered: Bool) {
        guard !finished else { return }
        cancel()
        proxy.probeFinished(self, answered: answered)
    }

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        for index in bytes.indices where received.count < 16 { received.append(bytes[index]) }
        if received.count >= 12 { finish(answered: received.starts(with: Array("HTTP/1.".utf8))) }
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) { finish(answered: false) }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection, error: UVError?) { finish(answered: false) }
}
