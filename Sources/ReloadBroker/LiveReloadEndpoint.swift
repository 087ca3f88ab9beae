/// The LiveReload endpoint a request path names, if any (see ``LiveReloadConfiguration``).
enum LiveReloadEndpoint: Equatable {
    /// The LiveReload WebSocket (``LiveReloadConfiguration/socketPath``).
    case socket
    /// `/livereload.js`: the broker's client in its LiveReload mode.
    case script
    /// tiny-lr's `/changed`.
    case changed
    /// tiny-lr's `/alert`.
    case alert
    /// tiny-lr's welcome at `/`, only when no fallback handler, proxy or demo page serves `/`.
    case welcome

    /// Nil when LiveReload is off or the path is not one of its endpoints. tiny-lr's `/kill`
    /// (a GET that stops the server, so any page could) is deliberately not one.
    init?(path: String, configuration: BrokerConfiguration) {
        guard let liveReload = configuration.liveReload else { return nil }
        switch path {
        case liveReload.socketPath: self = .socket
        case "/livereload.js": self = .script
        case "/changed": self = .changed
        case "/alert": self = .alert
        case "/" where configuration.fallback == nil && configuration.proxy == nil && !configuration.servesDemoPage:
            self = .welcome
        default: return nil
        }
    }
}
