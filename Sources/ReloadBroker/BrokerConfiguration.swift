import HTTPCodec
import HTTPServer

/// Everything a broker can be told, with defaults chosen for a developer's machine.
///
/// Defaults are secure: the broker binds loopback only, answers only requests
/// whose `Host` is a loopback name or an IP literal, and accepts WebSocket
/// upgrades and trigger `POST`s only from loopback origins.
public struct BrokerConfiguration: Sendable {
    /// Address to bind: an IP literal or `localhost`. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one. Default 35729.
    public var port: Int = 35729
    /// Path prefix of the broker's own endpoints (`/ws`, `/client.js`, `/health`, `/trigger`). Default `/__reload`.
    public var prefix: String = "/__reload" {
        didSet { prefix = Self.normalizedPrefix(prefix) }
    }
    /// Extra host names accepted in `Host` (beyond loopback names and IP literals): the DNS-rebinding defence.
    /// `"example.test"` matches that name, `".example.test"` it and its subdomains, `"*"` turns the check off.
    public var allowedHosts: [String] = []
    /// Extra origins (`https://app.test:8443`) allowed to open sockets and trigger, beyond loopback origins
    /// (any port, http or https) and origins whose host is in ``allowedHosts``. `"*"` allows any origin.
    public var allowedOrigins: [String] = []
    /// When set, `POST <prefix>/trigger` (and LiveReload's `/changed` and `/alert`) must carry it (`Authorization: Bearer`, `X-Reload-Token`, or `?token=`).
    public var token: String?
    /// Limits of the HTTP parser (head 16 KiB, body 64 KiB by default).
    public var httpLimits = HTTPLimits()
    /// Largest WebSocket message a client may send (browsers send us tiny heartbeats). Default 4 KiB.
    public var maxMessageBytes = 4 * 1024
    /// A client must finish its request head within this time (slowloris defence). Default 10 s.
    public var headTimeout: Duration = .seconds(10)
    /// Idle keep-alive HTTP connections are closed after this time. Default 15 s.
    public var idleTimeout: Duration = .seconds(15)
    /// The broker pings a WebSocket client silent for this long. Default 20 s.
    public var pingInterval: Duration = .seconds(20)
    /// A client that does not answer a ping within this time is dropped. Default 20 s.
    public var pongTimeout: Duration = .seconds(20)
    /// A client whose writes stay blocked this long is dropped (it never makes memory grow:
    /// at most one reload is pending per client). Default 10 s.
    public var writeTimeout: Duration = .seconds(10)
    /// A client with more than this many bytes queued is dropped. Default 64 KiB.
    public var maxQueuedBytes = 64 * 1024
    /// How long a graceful stop waits for clients to answer their close frames. Default 1 s.
    public var stopGracePeriod: Duration = .seconds(1)
    /// Most WebSocket clients at once; further upgrades get 503. Nil: the open-file limit (raised to
    /// its hard limit at start) less 64 descriptors kept for `/trigger`, `/health` and pages.
    public var maxClients: Int?
    /// Event loops (threads) serving clients. More than one binds the port once per loop with
    /// `SO_REUSEPORT` (the kernel spreads connections) and fans each broadcast out on every loop
    /// at once. Default 1.
    public var loops = 1
    /// Serve the built-in demo page at `/` (the CLI's `serve` without a root does).
    public var servesDemoPage = false
    /// Stop on SIGINT/SIGTERM and reload on SIGHUP (for programs that own the process, like the CLI).
    public var handlesSignals = false
    /// Files to watch: a change broadcasts a reload (a stylesheet-only change, a CSS swap).
    public var watch: WatchConfiguration?
    /// The LiveReload protocol 7 endpoints (`/livereload`, `/livereload.js`, tiny-lr's `/changed`
    /// and `/alert`) at the root of the port. On by default; nil turns them off.
    public var liveReload: LiveReloadConfiguration? = LiveReloadConfiguration()
    /// Handles requests outside ``prefix`` (static files, your app's pages); HTML it answers gets
    /// the client injected. Nil: the demo page (``servesDemoPage``) or 404.
    public var fallback: (any RequestHandler)?
    /// A reverse proxy in front of an app: when set, it takes every request outside ``prefix``
    /// (``fallback`` is not used), runs the app's command if it has one and restarts it on file changes.
    public var proxy: ReverseProxy?
    /// A dev command run beside the served files (`serve --exec`), restarted on every settled file change.
    public var appCommand: CommandRunningHandler?
    /// Share reloads with other brokers (Redis pub/sub). Nil (the default): this broker alone,
    /// and the broadcast path is exactly the single-broker one.
    public var cluster: ClusterConfiguration?

    public init() {}

    /// What runs on the primary loop beside the routes, in the order its hooks are called.
    var attachments: [any BrokerAttachment] {
        var list: [any BrokerAttachment] = []
        if let proxy { list.append(proxy) }
        if let appCommand { list.append(appCommand) }
        return list
    }

    static func normalizedPrefix(_ prefix: String) -> String {
        var trimmed = Substring(prefix)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if !trimmed.hasPrefix("/") { return "/" + trimmed }
        return String(trimmed)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1, for loop timestamps.
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return max(1, UInt64(max(0, seconds)) * 1000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000_000)
    }
}
