#if canImport(Glibc)
import Glibc
#endif
import HTMLInjection
import HTTPCodec
import Logging
import Synchronization
import UVLoop
import WebSocketCodec

/// State the broker shares across threads: read by the public API, written by the loop.
final class BrokerSharedState: Sendable {
    let instanceID: String
    let epoch = Atomic<Int>(0)
    let clients = Atomic<Int>(0)
    /// The cluster's state for `/health` (nil without a cluster).
    let clusterStatus: PthreadLocked<ClusterStatus>?

    init(instanceID: String, cluster: ClusterStatus? = nil) {
        self.instanceID = instanceID
        self.clusterStatus = cluster.map { PthreadLocked($0) }
    }

    var currentEpoch: Int { epoch.load(ordering: .relaxed) }
}

/// The broker on its loop: accepts connections, routes requests, broadcasts.
///
/// Loop-bound. One instance per event loop.
final class BrokerCore {
    let loop: EventLoop
    let configuration: BrokerConfiguration
    let logger: Logger
    let shared: BrokerSharedState
    let policy: AccessPolicy
    let timeouts: Timeouts
    /// Upgrades beyond this many clients (all loops) get 503, so descriptors remain for triggers.
    let maxClients: Int

    private var listener: TCPListener?
    private let sweepTimer: LoopTimer
    private var stopTimer: LoopTimer?
    private var signalWatchers: [SignalWatcher] = []
    private var fileWatcher: FileWatcher?
    /// The cluster layer (primary loop only; nil without ``BrokerConfiguration/cluster``).
    private(set) var cluster: RedisCluster?
    private var nextConnectionID: UInt64 = 0

    /// Every open connection (for the sweep); each knows its index.
    private(set) var connections: [ClientConnection] = []
    /// Upgraded WebSocket clients: the broadcast list.
    private(set) var sockets: [ClientConnection] = []

    private(set) var isStopping = false
    private var stopCompletions: [() -> Void] = []
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
            // One sweep timer per loop: often enough for the shortest timeout, at most once a second.
            sweep = max(10, min(1000, [head, idle, ping, pong, write, linger].min()! / 4))
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
        self.sweepTimer = LoopTimer(loop: loop)
        let listener: TCPListener
        do throws(UVError) {
            listener = try TCPListener(
                loop: loop, host: configuration.host, port: port ?? configuration.port,
                reusePort: configuration.loops > 1)
        } catch {
            sweepTimer.close()
            throw error
        }
        do throws(UVError) {
            try listener.listen { [unowned self] connection in self.accept(connection) }
        } catch {
            listener.close()
            sweepTimer.close()
            throw error
        }
        self.listener = listener
        sweepTimer.start(after: timeouts.sweep, repeatEvery: timeouts.sweep) { [unowned self] in self.sweep() }
        if isPrimary, let watch = configuration.watch {
            fileWatcher = FileWatcher(loop: loop, configuration: watch, logger: logger) { [unowned self] paths in
                self.filesChanged(paths)
            }
        }
        if isPrimary, configuration.handlesSignals {
            for signal in [SIGINT, SIGTERM] {
                let watcher = try SignalWatcher(loop: loop, signal: signal) { [unowned self] signal in
                    self.logger.info("stopping on signal \(signal)")
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
        (configuration.fallback as? any BrokerAttachment)?.attach(to: self)
    }

    var port: Int { listener?.localPort ?? 0 }

    // MARK: Connections

    private func accept(_ tcp: TCPConnection) {
        guard !isStopping else { tcp.close(); return }
        nextConnectionID &+= 1
        let connection = ClientConnection(tcp: tcp, core: self, id: nextConnectionID)
        tcp.delegate = connection
        tcp.setNoDelay(true)
        connection.connectionIndex = connections.count
        connections.append(connection)
        tcp.startReading()
    }

    func remove(_ connection: ClientConnection) {
        unregisterSocket(connection)
        guard Self.swapRemove(connection, from: &connections, index: \.connectionIndex) else { return }
        if isStopping, connections.isEmpty { finish() }
    }

    /// Removes a connection from a list in O(1) by moving the last one into its slot; each
    /// connection keeps its own index (-1: not in the list). Returns false when it was not there.
    private static func swapRemove(
        _ connection: ClientConnection, from list: inout [ClientConnection],
        index: ReferenceWritableKeyPath<ClientConnection, Int>
    ) -> Bool {
        let position = connection[keyPath: index]
        guard position >= 0 else { return false }
        let last = list.removeLast()
        if position < list.count {
            list[position] = last
            last[keyPath: index] = position
        }
        connection[keyPath: index] = -1
        return true
    }

    func registerSocket(_ connection: ClientConnection) {
        connection.socketIndex = sockets.count
        sockets.append(connection)
        shared.clients.add(1, ordering: .relaxed)
        logger.debug("websocket client connected", metadata: ["connection.id": "\(connection.id)", "clients": "\(sockets.count)"])
    }

    func unregisterSocket(_ connection: ClientConnection) {
        guard Self.swapRemove(connection, from: &sockets, index: \.socketIndex) else { return }
        shared.clients.subtract(1, ordering: .relaxed)
    }

    // MARK: Broadcast

    /// Sends a reload (or, for a `.css` path, a stylesheet swap) to every client of every loop;
    /// returns how many clients it reached (this loop's, plus those connected to the others).
    @discardableResult
    func broadcast(path: String?) -> Int {
        if configuration.cluster != nil { return clusterTrigger(path: path) }
        let broadcast: PendingBroadcast
        let reached: Int
        if let group, group.members.count > 1 {
            broadcast = group.broadcastInOrder(path: path)
            reached = shared.clients.load(ordering: .relaxed)
        } else {
            broadcast = PendingBroadcast(epoch: shared.epoch.add(1, ordering: .relaxed).newValue, path: path)
            reached = deliver(broadcast)
        }
        logger.info(
            "broadcast \(Messages.describe(broadcast))", metadata: ["epoch": "\(broadcast.epoch)", "clients": "\(reached)"])
        return reached
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
        logger.info(
            "broadcast \(Messages.describe(broadcast))", metadata: ["epoch": "\(broadcast.epoch)", "clients": "\(reached)"])
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
        logger.info("changed: \(shown)")
        if let attachment = configuration.fallback as? any BrokerAttachment, attachment.filesChanged(paths) { return }
        broadcast(changes: paths.map { urlPath(forFile: $0) })
    }

    /// Broadcasts a batch of changed URL paths: stylesheets only (at most 8) → one swap each;
    /// anything else, or no path at all → one reload. Returns the clients the last one reached.
    @discardableResult
    func broadcast(changes paths: [String]) -> Int {
        if !paths.isEmpty, paths.count <= 8, paths.allSatisfy({ Self.isStylesheet($0) }) {
            var reached = 0
            for path in paths { reached = broadcast(path: path) }
            return reached
        }
        return broadcast(path: nil)
    }

    /// The URL path of a changed file: relative to the served folder when inside it, else its name.
    func urlPath(forFile path: String) -> String {
        if let root = configuration.watch?.servedRoot.map(FileWatcher.trimmed), path.hasPrefix(root + "/") {
            return String(path.dropFirst(root.count))
        }
        return FileWatcher.split(path).name
    }

    // MARK: Sweep (the one timer of the loop)

    private func sweep() {
        let now = loop.now
        var index = 0
        while index < connections.count {
            let connection = connections[index]
            index += 1
            if check(connection, now: now) == false {
                // Closing removes it asynchronously (close callback): nothing shifts now.
                connection.tcp.close()
            }
        }
    }

    /// Returns false when the connection must be dropped.
    private func check(_ connection: ClientConnection, now: UInt64) -> Bool {
        let tcp = connection.tcp
        if tcp.queuedBytes > 0 {
            // Output is waiting: the peer must keep reading. Any completed write is progress.
            if connection.blockedSince == 0 || tcp.completedWrites != connection.lastCompletedWrites {
                connection.blockedSince = now
                connection.lastCompletedWrites = tcp.completedWrites
            } else if now - connection.blockedSince > timeouts.write {
                logger.debug("dropping a client whose writes stay blocked", metadata: ["connection.id": "\(connection.id)"])
                return false
            }
            if connection.mode != .webSocket { return true }  // deadlines wait until the output is out
        } else {
            connection.blockedSince = 0
        }
        switch connection.mode {
        case .http, .closing:
            return connection.deadline == 0 || now < connection.deadline
        case .webSocket:
            if connection.pingSentAt != 0 {
                if now - connection.pingSentAt > timeouts.pong {
                    logger.debug("dropping a client that stopped answering pings", metadata: ["connection.id": "\(connection.id)"])
                    return false
                }
            } else if now - connection.lastHeard > timeouts.ping {
                connection.ping(now: now)
            }
            return true
        }
    }

    // MARK: Stop

    /// Graceful stop: no new connections, close frames to every client, then everything closed
    /// within the grace period, however many clients there are.
    func beginStop(_ completion: (() -> Void)? = nil) {
        if let completion { stopCompletions.append(completion) }
        if isFinished {
            runStopCompletions()
            return
        }
        guard !isStopping else { return }
        isStopping = true
        (configuration.fallback as? any BrokerAttachment)?.stop()
        cluster?.stop()
        listener?.close()
        listener = nil
        let goingAway = SharedBuffer(WebSocketFrameEncoder.close(code: .goingAway, reason: "broker stopping"))
        for connection in connections {
            switch connection.mode {
            case .webSocket: connection.sendClose(goingAway)
            case .http, .closing: connection.tcp.close()
            }
        }
        let timer = LoopTimer(loop: loop)
        stopTimer = timer
        timer.start(after: timeouts.stop) { [unowned self] in
            for connection in self.connections { connection.tcp.close() }
        }
        if connections.isEmpty { finish() }
    }

    private func finish() {
        guard !isFinished else { return }
        isFinished = true
        sweepTimer.close()
        stopTimer?.close()
        stopTimer = nil
        for watcher in signalWatchers { watcher.close() }
        fileWatcher?.close()
        fileWatcher = nil
        signalWatchers = []
        runStopCompletions()
    }

    private func runStopCompletions() {
        let completions = stopCompletions
        stopCompletions = []
        for completion in completions { completion() }
    }

    // MARK: Injection

    /// The `<script>` tag pages get, at the current epoch.
    func snippet() -> String {
        Messages.scriptTag(prefix: configuration.prefix, instance: shared.instanceID, epoch: shared.epoch.load(ordering: .relaxed))
    }

    /// Whether an HTML response gets the client: pages only, not fragments fetched by a page's own
    /// script (htmx, Turbo, `fetch`), which would run a second client or show a stray tag.
    func shouldInject(request: RequestHead, response: ResponseHead) -> Bool {
        guard ReloadInjectionFilter.requestWantsPage({ request.headers[$0] }) else { return false }
        return InjectionDecision.shouldInject(
            method: request.method, status: response.status.code, responseHeaders: response.headers)
    }
}
