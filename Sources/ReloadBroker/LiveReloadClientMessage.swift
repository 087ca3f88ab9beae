import FoundationEssentials

/// A message a LiveReload client sends, parsed (pure: no I/O).
///
/// livereload.js sends `hello` on open and `info` after the handshake; the browser extensions'
/// probe sends a `hello` listing only `connection-check-1`; the broker's own client adds a
/// `ping` heartbeat. Anything else is `.unknown` (ignored), and text that is not a JSON object
/// with a string `command` is `.invalid`.
enum LiveReloadClientMessage: Equatable {
    case hello(Handshake)
    /// The page's URL (the `plugins` object is not kept).
    case info(url: String?)
    case ping
    case unknown(command: String)
    case invalid

    /// What a client's `hello` asks for.
    enum Handshake: Equatable {
        /// It speaks protocol 7 or 6: it gets broadcasts.
        case protocol7
        /// The extensions' probe: any JSON answer (our hello) tells it a server is there.
        case connectionCheck
        /// Lists no protocol we speak.
        case unsupported
    }

    private struct Fields: Decodable {
        var command: String?
        var protocols: [String]?
        var url: String?
    }

    static func parse(_ text: String) -> LiveReloadClientMessage {
        if text == #"{"command":"ping"}"# { return .ping }  // the heartbeat, every 5 s per client: no decoder
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(text.utf8)), let command = fields.command
        else { return .invalid }
        switch command {
        case "hello":
            let protocols = fields.protocols ?? []
            if protocols.contains(LiveReloadMessages.official7) || protocols.contains(LiveReloadMessages.official6) {
                return .hello(.protocol7)
            }
            return .hello(protocols.contains(LiveReloadMessages.connectionCheck) ? .connectionCheck : .unsupported)
        case "info": return .info(url: fields.url)
        case "ping": return .ping
        default: return .unknown(command: command)
        }
    }
}
