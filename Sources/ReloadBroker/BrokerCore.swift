#if canImport(Glibc)
import Glibc
#endif
import HTMLInjection
import HTTPCodec
import Logging
import HTTPServer
import Synchronization
import UVLoop
import WebSocketCodec

/// The broker on its loop: its HTTP server (routes, injection), its WebSocket clients, the
/// broadcast and the sweep of the clients' heartbeats.
///
/// Loop-bound. One instance per event loop.
final class BrokerCore: HTTPRouter {
    let loop: EventLoop
    let configuration: BrokerConfiguration
    let logger: Logger
    let shared: BrokerSharedState
    let policy: AccessPolicy
    let timeouts: Timeouts
    /// Upgrades beyond this many clients (all loops) get 503, so descriptors remain for triggers.
    let maxClients: Int
    /// The HTTP/1.1 server: connections, requests, keep-alive; upgrades hand sockets back here.
    let server: HTTP1Server
    /// The injection of the client into pages, as the server's response filter.
    private let injection: BrokerInjection

    private let sweepTimer: LoopTimer
    private var stopTimer: LoopTimer?
    private var signalWatchers: [SignalWatcher] = []
    private var fileWatcher: FileWatcher?
    /// The cluster layer (primary loop only; nil without ``BrokerConfiguration/cluster``).
    private(set) var cluster: RedisCluster?
    /// What runs beside the routes on the primary loop (the proxy, the app command), in order.
    private let attachments: [any BrokerAttachment]

    /// Every WebSocket client, open or closing (for the sweep and the stop); each knows its index.
    private(set) var clients: [WebSocketClient] = []
    /// Open WebSocket clients: the broadcast list.
    private(set) var sockets: [WebSocketClient] = []

    /// Stopping (``beginStop()`` ran): the server's state is the one source of truth.
    var isStopping: Bool { server.isStopping }
    /// Everything closed: the server, the clients, the timers and watchers.
    private var isFinished = false

    /// Frames encoded once and shared by every client.
    let pongMessage: SharedBuffer
    let pingFrame: SharedBuffer
    let liveReloadPong: SharedBuffer
    private var latestFrame: (broadcast: PendingBroadcast, frame: SharedBuffer)?
    private var latestLiveReloadFrame: (broadcast: PendingBroadcast, frame: SharedBuffer)?

    struct Timeouts {
        let head: UInt64, idle: UInt64, ping: UInt64, pong: UInt64, write: UInt64, linger: UInt64, stop: UInt64
        let sweep: UInt64

        init(_ configuration: BrokerConfiguration) {
            head = configuration.headTimeout.milliseconds
            idle = configuration.idleTimeout.milliseconds
            ping = configuration.pingInterval.milliseconds
            pong = configuration.pongTimeout.milliseconds
            write = configuration.writeTimeout.milliseconds
            stop = configuration.stopGracePeriod.milliseconds
            linger = min(2000, stop)
            // One sweep timer for the WebSocket clients: often enough for the shortest timeout, at most once a second.
            sweep = max(10, min(1000, [ping, pong, write, linger].min()! / 4))
        }

        var server: HTTPServerTimeouts {
            HTTPServerTimeouts(head: head, idle: idle, write: write, linger: linger)
        }
    }

    /// The group of loops this core belongs to (set right after creation; weak: the group owns the cores).
    weak var group: BrokerGroup?
    /// The first loop of a group: it owns the signal watchers and the file watcher.
    let isPrimary: Bool

    init(
        loop: EventLoop, configuration: BrokerConfiguration, logger: Logger, shared: BrokerSharedState,
        isPrimary: Bool = true, port: Int? = nil
    ) throws(UVError) {
        self.isPrimary = isPrimary
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.shared = shared
        self.policy = AccessPolicy(allowedHosts: configuration.allowedHosts, allowedOrigins: configuration.allowedOrigins)
        self.timeouts = Timeouts(configuration)
        self.maxClients = configuration.maxClients ?? max(16, ProcessLimits.openFiles(raise: true) - 64)
        self.pongMessage = SharedBuffer(WebSocketFrameEncoder.text(#"{"type":"pong"}"#))
        self.pingFrame = SharedBuffer(WebSocketFrameEncoder.frame(opcode: .ping, payload: []))
        self.liveReloadPong = SharedBuffer(WebSocketFrameEncoder.text(LiveReloadMessages.pong))
        self.attachments = isPrimary ? configuration.attachments : []
        let serverConfiguration = HTTPServerConfiguration(
            host: configuration.host, port: port ?? configuration.port, reusePort: configuration.loops > 1,
            limits: configuration.httpLimits, maxQueuedBytes: configuration.maxQueuedBytes, timeouts: timeouts.server)
        self.server = try HTTP1Server(loop: loop, configuration: serverConfiguration, logger: logger)
        self.injection = BrokerInjection(prefix: configuration.prefix, shared: shared)
        self.sweepTimer = LoopTimer(loop: loop)
        server.router = self
        server.responseFilter = injection
        server.onStopped = { [unowned self] in self.finishIfDone() }
        sweepTimer.start(after: timeouts.sweep, repeatEvery: timeouts.sweep) { [unowned self] in self.sweep() }
        if isPrimary, let watch = configuration.watch {
            fileWatcher = FileWatcher(loop: loop, configuration: watch, logger: logger) { [unowned self] paths in
                self.filesChanged(paths)
            }
        }
        if isPrimary, configuration.handlesSignals {
            for signal in [SIGINT, SIGTERM] {
                let watcher = try SignalWatcher(loop: loop, signal: signal) { [unowned self] signal in
                    self.logger.info("stopping on a signal", metadata: ["signal": "\(signal)"])
                    if let group = self.group { group.stopAll() } else { self.beginStop() }
                }
                signalWatchers.append(watcher)
            }
            signalWatchers.append(try SignalWatcher(loop: loop, signal: SIGHUP) { [unowned self] _ in
                self.logger.info("reload on SIGHUP")
                self.broadcast(path: nil)
            })
        }
        if isPrimary, case .redis(let url, let channel)? = configuration.cluster, let status = shared.clusterStatus {
            cluster = RedisCluster(
                loop: loop, url: url, channel: channel ?? ClusterConfiguration.defaultChannel(prefix: configuration.prefix),
                origin: shared.instanceID, epoch: shared.currentEpoch, logger: logger, status: status,
                deliver: { [unowned self] broadcast in self.deliverFromCluster(broadcast) },
                adopt: { [unowned self] epoch in self.shared.epoch.store(epoch, ordering: .relaxed) })
        }
        for attachment in attachments { attachment.attach(to: self) }
    }

    var port: Int { server.port }

    // MARK: WebSocket clients

    /// Takes over a connection the server upgraded: a client of `dialect`, in the broadcast list.
    @discardableResult
    func adopt(_ upgraded: UpgradedConnection, dialect: SocketDialect) -> WebSocketClient {
        let client = WebSocketClient(upgraded, core: self, dialect: dialect)
        client.clientIndex = clients.count
        clients.append(client)
        client.socketIndex = sockets.count
        sockets.append(client)
        shared.clients.add(1, ordering: .relaxed)
        logger.debug("websocket client connected", metadata: ["connection.id": "\(client.id)", "clients": "\(sockets.count)"])
        return client
    }

    /// A client's socket closed.
    func remove(_ client: WebSocketClient) {
        unregisterSocket(client)
        guard Self.swapRemove(client, from: &clients, index: \.clientIndex) else { return }
        finishIfDone()
    }

    /// A client left the broadcast list (its close frame is on the way).
    func unregisterSocket(_ client: WebSocketClient) {
        guard Self.swapRemove(client, from: &sockets, index: \.socketIndex) else { return }
        shared.clients.subtract(1, ordering: .relaxed)
    }

    /// Removes a client from a list in O(1) by moving the last one into its slot; each client
    /// keeps its own index (-1: not in the list). Returns false when it was not there.
    private static func swapRemove(
        _ client: WebSocketClient, from list: inout [WebSocketClient],
        index: ReferenceWritableKeyPath<WebSocketClient, Int>
    ) -> Bool {
        let position = client[keyPath: index]
        guard position >= 0 else { return false }
        let last = list.removeLast()
        if position < list.count {
            list[position] = last
            last[keyPath: index] = position
        }
        client[keyPath: index] = -1
        return true
    }

    // MARK: Broadcast

    /// Sends a reload (or, for a `.css` path, a stylesheet swap) to every client of every loop;
    /// returns how many clients it reached (this loop's, plus those connected to the others).
    @discardableResult
    func broadcast(path: String?) -> Int {
        if configuration.cluster != nil { return clusterTrigger(path: path) }
        if let group, group.members.count > 1 {
            group.broadcast(path: path)
            return shared.clients.load(ordering: .relaxed)
        }
        let broadcast = PendingBroadcast(epoch: shared.epoch.add(1, ordering: .relaxed).newValue, path: path)
        let reached = deliver(broadcast)
        logBroadcast(broadcast, clients: reached)
        return reached
    }

    private func logBroadcast(_ broadcast: PendingBroadcast, clients: Int) {
        logger.info(
            "broadcast", metadata: ["kind": "\(Messages.describe(broadcast))", "epoch": "\(broadcast.epoch)", "clients": "\(clients)"])
    }

    /// With a cluster, every trigger goes to the cluster layer on the primary loop, which
    /// publishes it (or, Redis away, delivers it at once); returns this broker's client count.
    private func clusterTrigger(path: String?) -> Int {
        if let cluster {
            cluster.trigger(path: path)
        } else if let primary = group?.members.first {
            let core = primary.core
            primary.executor.execute { core.value.cluster?.trigger(path: path) }
        }
        return shared.clients.load(ordering: .relaxed)
    }

    /// A broadcast the cluster layer hands over (already numbered): to every loop's clients.
    private func deliverFromCluster(_ broadcast: PendingBroadcast) {
        let reached: Int
        if let group, group.members.count > 1 {
            group.deliverInOrder(broadcast)
            reached = shared.clients.load(ordering: .relaxed)
        } else {
            shared.epoch.store(broadcast.epoch, ordering: .relaxed)
            reached = deliver(broadcast)
        }
        logBroadcast(broadcast, clients: reached)
    }

    /// Writes one broadcast to this loop's clients: one frame per dialect, encoded once, shared by all.
    @discardableResult
    func deliver(_ broadcast: PendingBroadcast) -> Int {
        let frame = self.frame(for: broadcast)
        var liveReloadFrame: SharedBuffer?  // encoded at the first LiveReload client, if any
        var reached = 0
        for socket in sockets {
            let chosen: SharedBuffer
            switch socket.dialect {
            case .broker: chosen = frame
            case .liveReload:
                chosen = liveReloadFrame ?? self.frame(for: broadcast, dialect: .liveReload)
                liveReloadFrame = chosen
            }
            if socket.deliver(broadcast, frame: chosen) { reached += 1 }
        }
        return reached
    }

    /// The encoded frame of a broadcast in a dialect (cached: the latest one is what pending clients need).
    func frame(for broadcast: PendingBroadcast, dialect: SocketDialect = .broker) -> SharedBuffer {
        switch dialect {
        case .broker:
            if let latestFrame, latestFrame.broadcast == broadcast { return latestFrame.frame }
            let frame = SharedBuffer(WebSocketFrameEncoder.text(Messages.encode(broadcast)))
            latestFrame = (broadcast, frame)
            return frame
        case .liveReload:
            if let latestLiveReloadFrame, latestLiveReloadFrame.broadcast == broadcast { return latestLiveReloadFrame.frame }
            let frame = SharedBuffer(WebSocketFrameEncoder.text(LiveReloadMessages.encode(broadcast)))
            latestLiveReloadFrame = (broadcast, frame)
            return frame
        }
    }

    static func isStylesheet(_ path: String) -> Bool {
        let clean = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        return clean.lowercased().hasSuffix(".css")
    }


    /// A settled batch of file changes: stylesheets only → swap them; anything else → reload.
    private func filesChanged(_ paths: [String]) {
        let shown = paths.prefix(3).joined(separator: ", ") + (paths.count > 3 ? " and \(paths.count - 3) more" : "")
        logger.info("changed", metadata: ["files": "\(shown)", "count": "\(paths.count)"])
        for attachment in attachments where attachment.filesChanged(paths) == .handled { return }
        broadcast(changes: paths.map { urlPath(forFile: $0) })
    }

    /// Broadcasts a batch of changed URL paths: stylesheets only (at most 8) → one swap each;
    /// anything else, or no path at all → one reload. Returns the clients the last one reached.
    @discardableResult
    func broadcast(changes paths: [String]) -> Int {
        var reached = 0
        for path in Self.broadcasts(for: paths) { reached = broadcast(path: path) }
        return reached
    }

    /// The broadcasts a batch of changed URL paths makes: stylesheets only (at most 8) → one swap
    /// each; anything else, or no path at all → one reload (nil).
    static func broadcasts(for paths: [String]) -> [String?] {
        if !paths.isEmpty, paths.count <= 8, paths.allSatisfy({ isStylesheet($0) }) { return paths }
        return [nil]
    }

    /// The URL path of a changed file: relative to the served folder when inside it, else its name.
    func urlPath(forFile path: String) -> String {
        if let root = configuration.watch?.servedRoot.map(FileWatcher.trimmed), path.hasPrefix(root + "/") {
            return String(path.dropFirst(root.count))
        }
        return FileWatcher.split(path).name
    }

    // MARK: Sweep (the WebSocket clients' timer; the server sweeps its own connections)

    private func sweep() {
        let now = loop.now
        let timeouts = self.timeouts
        for client in clients {
            switch client.sweep(now: now, timeouts: timeouts) {
            case .keep:
                break
            case .ping:
                client.ping(now: now)
            case .close(let reason):
                logger.debug("dropping a websocket client", metadata: ["connection.id": "\(client.id)", "reason": "\(reason)"])
                // Closing removes it asynchronously (close callback): nothing shifts now.
                client.tcp.close()
            }
        }
    }

    // MARK: Stop

    /// Graceful stop: no new connections, close frames to every client, then everything closed
    /// within the grace period, however many clients there are.
    func beginStop() {
        guard !server.isStopping else { return }
        for attachment in attachments { attachment.stop() }
        cluster?.stop()
        let goingAway = SharedBuffer(WebSocketFrameEncoder.close(code: .goingAway, reason: "broker stopping"))
        for client in clients { client.sendClose(goingAway) }
        let timer = LoopTimer(loop: loop)
        stopTimer = timer
        timer.start(after: timeouts.stop) { [unowned self] in
            for client in self.clients { client.tcp.close() }
        }
        // Last: it is what marks the core stopping, and with nothing open it finishes at once,
        // closing the timers above.
        server.stop()
        finishIfDone()
    }

    private func finishIfDone() {
        guard server.isStopped, clients.isEmpty, !isFinished else { return }
        isFinished = true
        sweepTimer.close()
        stopTimer?.close()
        stopTimer = nil
        for watcher in signalWatchers { watcher.close() }
        fileWatcher?.close()
        fileWatcher = nil
        signalWatchers = []
    }

    // MARK: Injection

    /// The `<script>` tag pages get, at the current epoch.
    func snippet() -> String { injection.snippet }

    /// Whether an HTML response gets the client (see ``BrokerInjection``).
    func shouldInject(request: RequestHead, response: ResponseHead) -> Bool {
        BrokerInjection.wouldInject(request: request, response: response)
    }
}
