import Synchronization
import UVLoop

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
