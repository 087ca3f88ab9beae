/// How brokers share their reloads (``BrokerConfiguration/cluster``).
///
/// ```swift
/// configuration.cluster = .redis(url: try RedisURL.parse("redis://127.0.0.1:6379"), channel: nil)
/// ```
/// Every trigger at any broker of the cluster (HTTP, CLI, watcher, SIGHUP, ``ReloadBroker/reload(path:)``)
/// is published once through Redis pub/sub and delivered by every broker to its own clients, once,
/// in cluster-epoch order. An unreachable Redis is not fatal: triggers are delivered locally and
/// published (coalesced) when it is back. See ARCHITECTURE.md, "The cluster layer".
public enum ClusterConfiguration: Sendable, Equatable {
    /// Redis pub/sub on `channel` (nil: derived from the prefix, `reload-broker:/__reload`); the
    /// cluster epoch is kept in the key `<channel>:epoch`.
    case redis(url: RedisURL, channel: String?)

    /// The channel brokers with this prefix use unless told otherwise.
    public static func defaultChannel(prefix: String) -> String {
        "reload-broker:" + BrokerConfiguration.normalizedPrefix(prefix)
    }
}
