import Synchronization
import UVLoop

/// The loops of one broker: each runs a ``BrokerCore`` on its own thread; a broadcast that
/// starts on one loop is handed to the others through their executors, so every loop writes
/// to its own clients at the same time.
final class BrokerGroup: Sendable {
    struct Member: Sendable {
        let executor: LoopExecutor
        let core: LoopBound<BrokerCore>
    }

    let shared: BrokerSharedState
    let members: [Member]

    init(shared: BrokerSharedState, members: [Member]) {
        self.shared = shared
        self.members = members
    }

    /// Serialises epoch numbering with the hand-off to the loops.
    private let order = PthreadLocked(())

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
}
