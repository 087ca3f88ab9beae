import Dispatch
import HTTPCodec
import Logging
import Synchronization
import UVLoop

/// A browser auto-reload broker: a WebSocket server that tells every open page
/// to reload (or swap a stylesheet) when you call ``reload(path:)``.
///
/// ```swift
/// let broker = try ReloadBroker(configuration: .init())   // binds 127.0.0.1:35729
/// try broker.start()                                       // runs on its own thread
/// broker.reload()                                          // every tab reloads
/// broker.reload(path: "styles/site.css")                   // tabs swap that stylesheet
/// broker.stop()                                            // close frames, then gone (≤ 1 s)
/// ```
///
/// Every method is safe to call from any thread: calls are handed to the
/// broker's event loop (libuv) and never touch its state directly. Pages get the
/// client through ``scriptTag`` (or any HTML answered by a `RequestHandler`).
public final class ReloadBroker: Sendable {
    /// The configuration it runs with.
    public let configuration: BrokerConfiguration
    /// The bound port (the real one when the configuration asked for 0).
    public let port: Int

    private let shared: BrokerSharedState
    private let group: BrokerGroup
    private let logger: Logger
    private let runner: PthreadLocked<Runner>
    private let finished = DispatchSemaphore(value: 0)

    private enum Runner {
        case ready([DetachedLoop])
        /// Loops on their own threads; `callerRuns` when loop 0 runs on the thread that called `run()`.
        case running([LoopThread], callerRuns: Bool)
        /// One `stop()` is doing the work; other callers wait for `stopDone`.
        case stopping
        case stopped
    }
    private let stopDone = DispatchSemaphore(value: 0)

    /// The primary loop (the one that owns signals and the file watcher).
    private var primary: BrokerGroup.Member { group.members[0] }

    /// Creates a broker and binds its port (so "address in use" is reported here); it
    /// serves nothing until ``start()`` or `run()`.
    public init(configuration: BrokerConfiguration = .init(), logger: Logger = Logger(label: "reload-broker")) throws(BrokerError) {
        var configuration = configuration
        configuration.prefix = BrokerConfiguration.normalizedPrefix(configuration.prefix)
        configuration.loops = max(1, min(configuration.loops, 64))
        let shared = BrokerSharedState(instanceID: Self.makeInstanceID(), cluster: configuration.cluster.map { Self.status($0, prefix: configuration.prefix) })
        var loops: [EventLoop] = []
        var cores: [BrokerCore] = []
        var boundPort = configuration.port
        do throws(BrokerError) {
            for index in 0..<configuration.loops {
                let loop: EventLoop
                do throws(UVError) {
                    loop = try EventLoop()
                } catch {
                    throw BrokerError.eventLoop(error)
                }
                loops.append(loop)
                do throws(UVError) {
                    let core = try BrokerCore(
                        loop: loop, configuration: configuration, logger: logger, shared: shared,
                        isPrimary: index == 0, port: boundPort)
                    cores.append(core)
                    boundPort = core.port
                } catch {
                    if error.isAddressInUse {
                        throw BrokerError.addressInUse(host: configuration.host, port: boundPort)
                    }
                    throw BrokerError.cannotListen(host: configuration.host, port: boundPort, error)
                }
            }
        } catch {
            for core in cores { core.beginStop() }
            for loop in loops {
                loop.run()  // completes the closes of what was opened
                loop.close()
            }
            throw error
        }
        let members = zip(loops, cores).map { loop, core in
            BrokerGroup.Member(executor: loop.executor, core: LoopBound(core, executor: loop.executor))
        }
        let group = BrokerGroup(shared: shared, members: members, clustered: configuration.cluster != nil, logger: logger)
        for core in cores { core.group = group }
        self.configuration = configuration
        self.port = boundPort
        self.shared = shared
        self.logger = logger
        self.group = group
        self.runner = PthreadLocked(.ready(loops.map { DetachedLoop($0) }))
    }

    /// Runs the broker on threads of its own (one per loop) and returns at once.
    public func start() throws(BrokerError) {
        guard let loops = takeLoops() else { return }
        var threads: [LoopThread] = []
        do throws(UVError) {
            for loop in loops {
                threads.append(try LoopThread { Self.drive(loop.loop) })
            }
        } catch {
            group.stopAll()
            for thread in threads { thread.join() }
            throw BrokerError.eventLoop(error)
        }
        runner.withLock { $0 = .running(threads, callerRuns: false) }
    }

    /// Runs the broker on the calling thread (other loops on threads of their own) until it is
    /// stopped (by ``stop()`` from another thread, or by a signal when
    /// ``BrokerConfiguration/handlesSignals`` is set).
    public func run() {
        guard let loops = takeLoopsToRun() else { return }
        drive(taken: loops)
    }

    /// Takes the loops for ``run()`` (sync or async), marking the broker running at once so that
    /// a concurrent ``stop()`` waits for that run instead of driving the loops itself.
    func takeLoopsToRun() -> [DetachedLoop]? {
        runner.withLock { runner in
            guard case .ready(let loops) = runner else { return nil }
            runner = .running([], callerRuns: true)
            return loops
        }
    }

    /// Gives back loops taken by ``takeLoopsToRun()`` that could not run (a thread did not start).
    func returnUnrunLoops(_ loops: [DetachedLoop]) {
        runner.withLock { $0 = .ready(loops) }
    }

    /// Runs the loops taken by ``takeLoopsToRun()``: loop 0 on the calling thread, the others on
    /// threads of their own; returns once every loop has ended.
    func drive(taken loops: [DetachedLoop]) {
        var threads: [LoopThread] = []
        for loop in loops.dropFirst() {
            if let thread = try? LoopThread({ Self.drive(loop.loop) }) {
                threads.append(thread)
            } else {
                logger.error("cannot start a thread for an extra loop; running with fewer")
                let core = group.members[threads.count + 1].core
                group.members[threads.count + 1].executor.execute { core.value.beginStop() }
                Self.drive(loop.loop)
            }
        }
        Self.drive(loops[0].loop)
        for thread in threads { thread.join() }
        finished.signal()
    }

    private func takeLoops() -> [DetachedLoop]? {
        runner.withLock { runner in
            guard case .ready(let loops) = runner else { return nil }
            return loops
        }
    }

    private static func drive(_ loop: EventLoop) {
        loop.run()
        loop.close()
    }

    /// Reloads every connected page; a path ending in `.css` swaps that stylesheet instead.
    /// Returns at once: the broadcast is numbered here and queued on every loop (with a cluster,
    /// on the primary loop, which publishes it).
    public func reload(path: String? = nil) {
        group.broadcast(path: path)
    }

    /// A batch of changed files (URL paths), as LiveReload's `/changed` and `reload-broker trigger
    /// --path … --path …` send them: stylesheets only (at most 8) are one swap each, anything else
    /// one reload. Returns at once.
    public func reload(paths: [String]) {
        for path in BrokerCore.broadcasts(for: paths) { group.broadcast(path: path) }
    }

    /// Shows `message` in every LiveReload client (tiny-lr's `/alert`: livereload.js calls
    /// `alert()`); the broker's own client has no alerts. Returns at once.
    public func alert(_ message: String) {
        let core = primary.core
        primary.executor.execute { core.value.broadcastAlert(message) }
    }

    /// Like ``reload(path:)``, and waits until every loop has written it: returns how many
    /// clients it was written to (nil when the broker is not running). With a cluster it waits
    /// until the primary loop has handed it to the cluster layer, and returns the clients
    /// connected here.
    public func reloadAndWait(path: String? = nil) -> Int? {
        group.broadcastAndWait(path: path)
    }

    /// Starts a graceful stop and returns at once (``stop()`` without the wait): safe from any
    /// thread, including the concurrency pool's, where blocking would starve other tasks.
    func requestStop() {
        group.stopAll()
    }

    /// Stops gracefully: closes every WebSocket with 1001, waits at most the grace period
    /// for the close handshakes, then closes what is left. Returns once every loop has ended.
    /// Safe to call more than once and from any thread except the broker's own loops.
    public func stop() {
        let state: Runner = runner.withLock { runner in
            let state = runner
            switch runner {
            case .ready, .running: runner = .stopping
            case .stopping, .stopped: break
            }
            return state
        }
        switch state {
        case .ready(let loops):
            // Never started: close on this thread.
            group.stopAll()
            for loop in loops {
                loop.loop.run()
                loop.loop.close()
            }
        case .running(let threads, let callerRuns):
            precondition(
                !group.members.contains { $0.executor.inLoopThread },
                "stop() called on one of the broker's own loop threads")
            group.stopAll()
            if callerRuns {
                finished.wait()
                finished.signal()
            } else {
                for thread in threads { thread.join() }
            }
        case .stopping:
            stopDone.wait()  // another caller is stopping it: wait for that
            stopDone.signal()
            return
        case .stopped:
            return
        }
        runner.withLock { $0 = .stopped }
        stopDone.signal()
    }

    /// The current reload epoch (a counter that every broadcast increments).
    public var epoch: Int { shared.epoch.load(ordering: .relaxed) }
    /// This run's instance id (a new one every start: pages of an earlier run reload once).
    public var instanceID: String { shared.instanceID }
    /// WebSocket clients connected now.
    public var connectedClients: Int { shared.clients.load(ordering: .relaxed) }
    /// The base URL (`http://127.0.0.1:35729`); bound to every address (`0.0.0.0`, `::`), the
    /// loopback one (``networkURLs`` lists the others).
    public var url: String {
        let bound = configuration.host
        let host = bound.contains(":") && !bound.hasPrefix("[") ? "[\(bound)]" : bound
        let shown = switch host {
        case "0.0.0.0": "127.0.0.1"
        case "[::]": "[::1]"
        default: host
        }
        return "http://\(shown):\(port)"
    }
    /// The `<script>` tag for a page rendered now; put it in the page's `<head>`.
    /// Its `src` is relative to the broker's origin; embedders serving pages from another
    /// port use ``scriptTag(origin:)``.
    public var scriptTag: String { scriptTag(origin: "") }

    /// The `<script>` tag with an absolute `src` on `origin` (e.g. `broker.url`).
    public func scriptTag(origin: String) -> String {
        Messages.scriptTag(prefix: origin + configuration.prefix, instance: instanceID, epoch: epoch)
    }

    /// The cluster's initial `/health` state.
    static func status(_ cluster: ClusterConfiguration, prefix: String) -> ClusterStatus {
        switch cluster {
        case .redis(let url, let channel):
            ClusterStatus(redis: url.redacted, channel: channel ?? ClusterConfiguration.defaultChannel(prefix: prefix))
        }
    }

    static func makeInstanceID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension ReloadBroker {
    /// A snapshot of the broker's connections, for tests and benchmarks.
    package struct Statistics: Sendable {
        /// Open TCP connections (HTTP and WebSocket).
        package var connections: Int
        /// Upgraded WebSocket clients.
        package var clients: Int
        /// The largest number of bytes queued for one connection.
        package var maxQueuedBytes: Int
        /// Clients that owe a coalesced broadcast.
        package var pendingBroadcasts: Int
    }

    /// Takes a snapshot on the loop and waits for it (nil when the broker is not running).
    package func statistics() -> Statistics? {
        let total = PthreadLocked(Statistics(connections: 0, clients: 0, maxQueuedBytes: 0, pendingBroadcasts: 0))
        for member in group.members {
            let core = member.core
            let done = DispatchSemaphore(value: 0)
            guard member.executor.execute({
                let core = core.value
                total.withLock {
                    $0.connections += core.server.connectionCount + core.clients.count
                    $0.clients += core.sockets.count
                    $0.maxQueuedBytes = max(
                        $0.maxQueuedBytes, core.server.largestQueuedBytes, core.clients.map(\.tcp.queuedBytes).max() ?? 0)
                    $0.pendingBroadcasts += core.sockets.count { $0.pending != nil }
                }
                done.signal()
            }) else { return nil }
            done.wait()
        }
        return total.withLock { $0 }
    }
}
