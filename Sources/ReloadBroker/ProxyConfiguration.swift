import HTTPCodec
import Synchronization
import UVLoop

/// How ``ReverseProxy`` reaches the app, and how it runs it.
public struct ProxyConfiguration: Sendable {
    /// The app's address: an IP literal or `localhost`.
    public var upstreamHost: String
    public var upstreamPort: Int
    /// Connecting and waiting for a response head may take this long before a 504. Default 30 s.
    public var timeout: Duration = .seconds(30)
    /// The app's dev command as an argument vector (the CLI wraps `/bin/sh -c CMD` in its exec
    /// guard); started in its own process group, restarted on file changes. nil: the app runs elsewhere.
    public var command: [String]?
    /// After SIGTERM to the app's process group, SIGKILL follows after this long. Default 3 s.
    public var gracePeriod: Duration = .seconds(3)
    /// When a change restarts the app, SIGKILL follows SIGTERM after this long (at most the grace
    /// period): a save should not wait for a slow graceful shutdown. An app without a SIGTERM
    /// handler (Node, Go, Flask's dev server) ends at once anyway; one that drains its connections
    /// first (uvicorn: 100–180 ms) is not waited for. Default 5 ms
    /// (``defaultRestartGraceMilliseconds``).
    public var restartGracePeriod: Duration = .milliseconds(ProxyConfiguration.defaultRestartGraceMilliseconds)
    /// The default of ``restartGracePeriod`` (and of the CLI's `--restart-grace`), in milliseconds.
    public static let defaultRestartGraceMilliseconds = 5
    /// Stop the broker when the app exits by itself (``ReverseProxy/appExit`` tells how).
    public var exitWithApp = false
    /// With a command: the waiting page shows the last lines the app printed (standard output and
    /// error, read through pipes and still copied to the broker's own), at most this many. 0 leaves
    /// the app the broker's own descriptors. Default 200.
    public var appOutputLines = 200
    /// ... and at most this many bytes of them. Default 64 KiB.
    public var appOutputBytes = 64 * 1024
    /// Idle keep-alive connections kept to the app. Default 8.
    public var maxIdleConnections = 8
    /// An idle keep-alive connection to the app is closed after this long. Default 4 s: shorter than
    /// the usual server keep-alive timeouts (Node and uvicorn 5 s), so the proxy rarely sends a
    /// request on a connection the app is closing, and idle sockets do not pile up.
    public var idleConnectionTimeout: Duration = .seconds(4)
    /// How often a down app is probed (and a starting one, 10 s after its start). Default 250 ms.
    /// Right after a start the proxy polls much faster: a connect every 2 ms for 2 s, then every 8 ms.
    public var probeInterval: Duration = .milliseconds(250)
    /// With a command and no file watching, the app restarts itself: check its processes this
    /// often (a cheap look at the known ones; the whole group and the port every tenth time).
    /// Default 50 ms.
    public var livenessInterval: Duration = .milliseconds(50)

    public init(upstreamHost: String, upstreamPort: Int) {
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
    }

    /// `http://host:port` (a trailing `/` allowed); nil for anything else.
    public static func parseUpstream(_ url: String) -> (host: String, port: Int)? {
        guard let parsed = HTTPURL(url), parsed.path.isEmpty else { return nil }
        return (parsed.host, parsed.port)
    }

    var authority: String {
        let host = upstreamHost.contains(":") ? "[\(upstreamHost)]" : upstreamHost
        return "\(host):\(upstreamPort)"
    }
}
