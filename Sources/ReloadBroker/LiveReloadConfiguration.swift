/// The LiveReload protocol 7 endpoints, at the root of the broker's port (not under its prefix),
/// so the LiveReload browser extensions, `livereload.js` snippets and tools that call tiny-lr's
/// HTTP API work unchanged:
///
/// | endpoint | methods | answer |
/// |---|---|---|
/// | ``socketPath`` (`/livereload`) | GET + Upgrade | WebSocket speaking LiveReload protocol 7 |
/// | `/livereload.js` | GET, HEAD | the broker's client in its LiveReload mode |
/// | `/changed` | GET, POST | tiny-lr: broadcast `files` (JSON body, form body or query) |
/// | `/alert` | GET, POST | tiny-lr: show `message` in every LiveReload client |
/// | `/` | GET, HEAD | `{"tinylr":"Welcome",…}`, only when nothing else serves `/` |
///
/// Set ``BrokerConfiguration/liveReload`` to nil to turn them all off.
public struct LiveReloadConfiguration: Sendable, Equatable {
    /// Path of the LiveReload WebSocket. Default `/livereload`, where the extensions and
    /// livereload.js 2.x look; change it only when your app needs that path (livereload.js 3+ and
    /// the broker's `/livereload.js` take it as `?path=`).
    public var socketPath: String = "/livereload" {
        didSet { socketPath = BrokerConfiguration.normalizedPrefix(socketPath) }
    }

    public init(socketPath: String = "/livereload") {
        self.socketPath = BrokerConfiguration.normalizedPrefix(socketPath)
    }
}
