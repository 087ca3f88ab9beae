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

    /// Hands a broadcast to every loop but `origin`'s; returns how many clients those loops hold.
    func deliverElsewhere(_ broadcast: PendingBroadcast, from origin: BrokerCore?) -> Int {
        guard members.count > 1 else { return 0 }
        var elsewhere = shared.clients.load(ordering: .relaxed)
        for member in members {
            if let origin, member.executor === origin.loop.executor {
                elsewhere -= origin.sockets.count
                continue
            }
            let core = member.core
            member.executor.execute { core.value.deliver(broadcast) }
        }
        return max(0, elsewhere)
    }

    /// Starts a graceful stop on every loop.
    func stopAll() {
        for member in members {
            let core = member.core
            member.executor.execute { core.value.beginStop() }
        }
    }
}
