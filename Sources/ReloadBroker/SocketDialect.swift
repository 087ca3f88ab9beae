/// Which protocol a WebSocket client speaks: it picks the frame a broadcast sends it.
enum SocketDialect: UInt8 {
    /// The broker's own messages (`<prefix>/ws`, see ``Messages``).
    case broker
    /// LiveReload protocol 7 (the LiveReload socket path, see ``LiveReloadMessages``).
    case liveReload
}
