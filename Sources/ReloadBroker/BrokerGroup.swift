import Dispatch
import Logging
import Synchronization
import UVLoop

/// The loops of one broker: each runs a ``BrokerCore`` on its own thread. A broadcast is numbered
/// once and queued on every loop's executor, so every loop writes to its own clients at the
/// same time, from whichever thread it started on.
final class BrokerGroup: Sendable {
    struct Member: Sendable {
        let executor: LoopExecutor
        let core: LoopBound<BrokerCore>
    }

    let shared: BrokerSharedState
    let members: [Member]
    /// Whether triggers go through the cluster layer (on the primary loop) instead.
    let clustered: Bool
    private let logger: Logger

    init(shared: BrokerSharedState, members: [Member], clustered: Bool, logger: Logger) {
        self.shared = shared
        self.members = members
        self.clustered = clustered
        self.logger = logger
    }

    /// Serialises epoch numbering with the hand-off to the loops.
    private let order = PthreadLocked(())

    /// A reload (or a `.css` path's swap) for every client, from any thread; returns at once.
    func broadcast(path: String?) {
        if clustered {
            let primary = members[0].core
            members[0].executor.execute { primary.value.cluster?.trigger(path: path) }
            return
        }
        let broadcast = broadcastInOrder(path: path)
        log(broadcast, clients: shared.clients.load(ordering: .relaxed))
    }

    /// Like ``broadcast(path:)``, and waits until every loop has written it: the number of clients
    /// written to (nil when no loop runs). With a cluster: once the primary loop has handed it to
    /// the cluster layer, with the clients connected here.
    func broadcastAndWait(path: String?) -> Int? {
        let done = DispatchSemaphore(value: 0)
        let reached = Atomic<Int>(0)
        var queued = 0
        if clustered {
            let primary = members[0].core
            guard members[0].executor.execute({
                primary.value.cluster?.trigger(path: path)
                done.signal()
            }) else { return nil }
            done.wait()
            return shared.clients.load(ordering: .relaxed)
        }
        let broadcast: PendingBroadcast = order.withLock { _ in
            let broadcast = PendingBroadcast(epoch: shared.epoch.add(1, ordering: .relaxed).newValue, path: path)
            for member in members {
                let core = member.core
                let accepted = member.executor.execute {
                    reached.add(core.value.deliver(broadcast), ordering: .relaxed)
                    done.signal()
                }
                if accepted { queued += 1 }
            }
            return broadcast
        }
        guard queued > 0 else { return nil }
        for _ in 0..<queued { done.wait() }
        let total = reached.load(ordering: .relaxed)
        log(broadcast, clients: total)
        return total
    }

    /// Numbers a broadcast and queues it on every loop, under one lock: each loop's queue is
    /// FIFO, so every loop delivers broadcasts in epoch order (a client that saw epoch 14 never
    /// gets 13 afterwards and drops it as stale).
    func broadcastInOrder(path: String?) -> PendingBroadcast {
        order.withLock { _ in
            let epoch = shared.epoch.add(1, ordering: .relaxed).newValue
            let broadcast = PendingBroadcast(epoch: epoch, path: path)
            for member in members {
                let core = member.core
                member.executor.execute { core.value.deliver(broadcast) }
            }
            return broadcast
        }
    }

    /// Queues a broadcast the cluster layer numbered on every loop (same order guarantee).
    func deliverInOrder(_ broadcast: PendingBroadcast) {
        order.withLock { _ in
            shared.epoch.store(broadcast.epoch, ordering: .relaxed)
            for member in members {
                let core = member.core
                member.executor.execute { core.value.deliver(broadcast) }
            }
        }
    }

    /// Starts a graceful stop on every loop.
    func stopAll() {
        for member in members {
            let core = member.core
            member.executor.execute { core.value.beginStop() }
        }
    }

    func log(_ broadcast: PendingBroadcast, clients: Int) {
        logger.info(
            "broadcast", metadata: ["kind": "\(Messages.describe(broadcast))", "epoch": "\(broadcast.epoch)", "clients": "\(clients)"])
    }
}
