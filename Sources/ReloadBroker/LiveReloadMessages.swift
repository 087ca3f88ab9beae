/// LiveReload protocol 7 messages the broker sends: JSON text frames, one command each.
///
/// ```
/// {"command":"hello","protocols":["http://livereload.com/protocols/official-7"],"serverName":"reload-broker"}
/// {"command":"reload","path":"/styles/site.css","liveCSS":true,"liveImg":true}
/// {"command":"alert","message":"Build failed"}
/// ```
/// The broker says hello once, on open (the protocol lets either side start). livereload.js
/// treats any later command but `reload` and `alert` as a protocol error and disconnects, so
/// nothing else is ever sent to a LiveReload socket, except the `pong` that only the broker's
/// own client asks for (`{"command":"ping"}`). A `path` that names a stylesheet (or, with
/// `liveImg`, an image) is swapped in place by the client; any other path reloads the page.
enum LiveReloadMessages {
    static let official7 = "http://livereload.com/protocols/official-7"
    static let official6 = "http://livereload.com/protocols/official-6"
    static let connectionCheck = "http://livereload.com/protocols/connection-check-1"
    static let serverName = "reload-broker"

    /// The path sent for a full reload: matches no stylesheet or image, so every client reloads.
    static let reloadPagePath = "/"

    static func hello() -> String {
        #"{"command":"hello","protocols":["\#(official7)"],"serverName":"\#(serverName)"}"#
    }

    static func reload(path: String, liveCSS: Bool = true, liveImg: Bool = true) -> String {
        #"{"command":"reload","path":"\#(Messages.jsonEscaped(path))","liveCSS":\#(liveCSS),"liveImg":\#(liveImg)}"#
    }

    static func alert(message: String) -> String {
        #"{"command":"alert","message":"\#(Messages.jsonEscaped(message))"}"#
    }

    /// The answer to the broker client's heartbeat (livereload.js never pings).
    static let pong = #"{"command":"pong"}"#

    /// The command for one broadcast: a stylesheet swap names its path, a reload the root.
    static func encode(_ broadcast: PendingBroadcast) -> String {
        switch broadcast {
        case .reload: reload(path: reloadPagePath)
        case .css(_, let path): reload(path: path)
        }
    }
}
