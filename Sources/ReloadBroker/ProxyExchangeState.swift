import UVLoop  // Inflater

/// Where one proxied request stands on the app's side, and what each stage owns: only the
/// stages with a connection to the app can use one, only a relayed response has an inflater or a
/// slow client. The transitions below are the only way from one stage to the next.
///
/// ```
/// connecting ──connected──▶ awaitingResponse ──final head──▶ relaying ──end──▶ finished
///     ▲                         │      │                                         ▲
///     └─────────retry───────────┘      └──101: handed over to a ProxyTunnel──────┘
/// ```
///
/// Every stage can also finish at once: failed, timed out, or the client went away.
///
/// Generic over the connection (a `TCPConnection` in the exchange) so that it stays a pure value
/// with unit tests of its own.
enum ProxyExchangeState<Connection: AnyObject> {
    /// No connection to the app yet: connecting, or held while the app starts. Body pieces that
    /// arrive meanwhile wait here.
    case connecting(PendingBody)
    /// The head (and the body so far) went to the app; no final response head yet.
    case awaitingResponse(UpstreamLink)
    /// The response head went to the client; its body follows as the app sends it.
    case relaying(ResponseRelay)
    /// Answered, failed, or its client went away: nothing more happens.
    case finished

    /// Body pieces the client sent before the app's connection was ready.
    struct PendingBody {
        private(set) var pieces: [[UInt8]] = []
        private(set) var byteCount = 0

        mutating func append(_ bytes: [UInt8]) {
            pieces.append(bytes)
            byteCount += bytes.count
        }
    }

    /// The connection the request went out on, before the app answered.
    struct UpstreamLink {
        let connection: Connection
        /// Taken from the idle pool: the app may have closed it meanwhile (one retry on a fresh one).
        let pooled: Bool
        /// Bytes came from the app on it: the request must not be sent again.
        var heardFromApp = false
        /// The app shut down its side.
        var appEnded = false
    }

    /// A response on its way to the client.
    struct ResponseRelay {
        let connection: Connection
        /// Decodes a page the app compressed anyway, so that it can get the client.
        let inflater: Inflater?
        /// The app's head said it closes the connection after this response.
        let appCloses: Bool
        /// The app shut down its side.
        var appEnded: Bool
        /// The client's connection had more queued than it should: the app is not read until it drains.
        var clientSlow = false
    }

    var isFinished: Bool {
        if case .finished = self { true } else { false }
    }

    /// The connection to the app, in the stages that have one.
    var upstream: Connection? {
        switch self {
        case .connecting, .finished: nil
        case .awaitingResponse(let link): link.connection
        case .relaying(let relay): relay.connection
        }
    }

    // MARK: Transitions

    /// Keeps a body piece until the connection is ready; returns how many bytes wait (0 when
    /// not connecting).
    mutating func holdBody(_ bytes: [UInt8]) -> Int {
        guard case .connecting(var pending) = self else { return 0 }
        self = .finished  // the array is not shared while it grows
        pending.append(bytes)
        self = .connecting(pending)
        return pending.byteCount
    }

    /// connecting → awaitingResponse; returns the body pieces to send after the head (nil, and
    /// nothing changes, when it was not connecting).
    mutating func connected(_ link: UpstreamLink) -> PendingBody? {
        guard case .connecting(let pending) = self else { return nil }
        self = .awaitingResponse(link)
        return pending
    }

    /// awaitingResponse → connecting, to send the request again on a fresh connection; returns
    /// the connection given up.
    mutating func retry() -> Connection? {
        guard case .awaitingResponse(let link) = self else { return nil }
        self = .connecting(PendingBody())
        return link.connection
    }

    /// awaitingResponse → relaying, once the final head is on its way to the client.
    mutating func startRelaying(inflater: Inflater?, appCloses: Bool) {
        guard case .awaitingResponse(let link) = self else { return }
        self = .relaying(
            ResponseRelay(connection: link.connection, inflater: inflater, appCloses: appCloses, appEnded: link.appEnded))
    }

    /// awaitingResponse → finished, after the app's `101`: returns the connection, which the
    /// tunnel takes over (it is not closed).
    mutating func handOver() -> Connection? {
        guard case .awaitingResponse(let link) = self else { return nil }
        self = .finished
        return link.connection
    }

    /// Any stage → finished; returns the connection to the app that was in use, if any.
    mutating func finish() -> Connection? {
        let upstream = upstream
        self = .finished
        return upstream
    }

    /// The app sent something before its final head.
    mutating func heardFromApp() {
        guard case .awaitingResponse(var link) = self else { return }
        link.heardFromApp = true
        self = .awaitingResponse(link)
    }

    /// The app shut down its side of the connection (before or during the response).
    mutating func appEnded() {
        switch self {
        case .awaitingResponse(var link):
            link.appEnded = true
            self = .awaitingResponse(link)
        case .relaying(var relay):
            relay.appEnded = true
            self = .relaying(relay)
        case .connecting, .finished:
            break
        }
    }

    /// The client fell behind (`true`) or drained (`false`) while relaying.
    mutating func setClientSlow(_ slow: Bool) {
        guard case .relaying(var relay) = self else { return }
        relay.clientSlow = slow
        self = .relaying(relay)
    }
}
