import HTTPCodec
import Logging
import UVLoop

/// One proxied request: the client's request goes to the app as it arrives, the app's response
/// comes back as it arrives, each side paused while the other is slow. After a `101` a
/// ``ProxyTunnel`` takes over.
///
/// The app's side moves through ``ProxyExchangeState`` (connecting, awaiting the response,
/// relaying it, finished); the client's body through ``RequestBodyProgress``.
final class ProxyExchange: RequestBodyReceiver, TCPConnectionDelegate {
    private unowned let proxy: ProxyState
    private let request: RequestHead
    private let responder: HTTPResponder
    private let writer: ProxyRequestWriter

    private var state = ProxyExchangeState<TCPConnection>.connecting(.init())
    private var body = RequestBodyProgress.noBodyYet
    /// Reading the client is paused until the app's side drains.
    private var clientPaused = false
    /// The request was sent again on a fresh connection (after a pooled one turned out closed).
    private var retried = false
    private var parser = HTTPResponseParser()
    /// The upstream timeout, until the response head (or the tunnel) begins.
    private var timer: LoopTimer?

    /// Upstream output queued beyond this pauses the client (here and in a ``ProxyTunnel``).
    static let highWater = 256 * 1024

    init(proxy: ProxyState, request: RequestHead, responder: HTTPResponder) {
        self.proxy = proxy
        self.request = request
        self.responder = responder
        writer = ProxyRequestWriter(
            request: request, clientAddress: responder.clientAddress, upstreamAuthority: proxy.configuration.authority)
        parser.requestMethod = request.method
    }

    // MARK: Start

    func start() {
        // The exchange keeps itself alive through these closures (and later as the app connection's
        // delegate); each is dropped when it ends, which breaks the cycles.
        responder.onClose = { self.clientWentAway() }
        let timer = LoopTimer(loop: proxy.loop)
        self.timer = timer
        timer.start(after: proxy.timeout) { self.timedOut() }
        connect()
    }

    private func connect() {
        // While the app starts, the request waits for it (resume() or appUnavailable(_:) follows).
        if proxy.admit(self) == .held { return }
        proxy.connect(fresh: writer.isUpgrade || retried) { result in
            guard !self.state.isFinished else {
                if case .success(let (connection, _)) = result { connection.close() }
                return
            }
            switch result {
            case .failure(let error):
                self.failBeforeResponse(error)
            case .success(let (connection, pooled)):
                self.connected(connection, pooled: pooled)
            }
        }
    }

    private func connected(_ connection: TCPConnection, pooled: Bool) {
        guard let pending = state.connected(.init(connection: connection, pooled: pooled)) else { return }
        connection.delegate = self
        connection.setNoDelay(true)
        connection.startReading()
        connection.write(writer.head)
        for piece in pending.pieces { writeBody(piece) }
        if body.isEnded, let end = writer.endOfBody { connection.write(end) }
        if clientPaused, connection.queuedBytes < Self.highWater {
            clientPaused = false
            responder.resumeReading()
        }
    }

    /// The exchange is over (answered, failed, or its client went away).
    var isFinished: Bool { state.isFinished }

    /// The app accepts connections again: go on with the held request.
    func resume() {
        guard !state.isFinished else { return }
        connect()
    }

    /// The app ended while the request was held.
    func appUnavailable(_ message: String) {
        guard !state.isFinished else { return }
        finishWithError(.badGateway, message)
    }

    // MARK: Request body (client → app)

    func receive(_ bytes: [UInt8]) -> Bool {
        guard !state.isFinished else { return true }
        body.bodyArrived()
        // The timeout counts from the last byte of the request, not from its first (long uploads).
        timer?.start(after: proxy.timeout) { self.timedOut() }
        guard let upstream = state.upstream else {
            if state.holdBody(bytes) >= Self.highWater { clientPaused = true }
            return !clientPaused
        }
        writeBody(bytes)
        if upstream.queuedBytes >= Self.highWater {
            clientPaused = true
            return false
        }
        return true
    }

    func end() {
        guard !state.isFinished else { return }
        body.end()
        if body.hasBody { timer?.start(after: proxy.timeout) { self.timedOut() } }
        if let upstream = state.upstream, let end = writer.endOfBody { upstream.write(end) }
    }

    private func writeBody(_ bytes: [UInt8]) {
        guard let upstream = state.upstream, !bytes.isEmpty else { return }
        upstream.write(writer.body(bytes))
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        if clientPaused {
            clientPaused = false
            responder.resumeReading()
        }
    }

    // MARK: Response (app → client)

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        state.heardFromApp()
        parser.append(bytes)
        drain()
    }

    /// Relays the events the parser has, until it needs more input, the exchange finishes or
    /// hands over to a tunnel, or the inflater holds decoded output back for a slow client.
    private func drain() {
        while true {
            switch state {
            case .awaitingResponse: break
            case .relaying(let relay): if relay.inflater?.isHolding ?? false { return }
            case .connecting, .finished: return
            }
            let event: HTTPResponseParser.Event
            do throws(HTTPResponseParseError) {
                guard let next = try parser.nextEvent() else { return }
                event = next
            } catch {
                proxy.logger.debug("bad response from the app", metadata: ["error": "\(error)", "target": "\(request.target)"])
                if case .relaying = state {
                    closeBoth()
                } else {
                    finishWithError(.badGateway, "The app's response could not be read: \(error).")
                }
                return
            }
            switch event {
            case .head(let head):
                if head.status.code == 101 {
                    if writer.isUpgrade { startTunnel(head) } else { finishWithError(.badGateway, "The app switched protocols unasked.") }
                    return
                }
                if head.status.code == 100 {
                    // Relayed only to a client that waits for it (Expect: 100-continue).
                    if request.headers["Expect"]?.asciiLowercased() == "100-continue" { responder.sendContinue() }
                    continue
                }
                if head.status.code < 200 { continue }  // other interim responses are not relayed
                responseHead(head)
            case .body(let bytes):
                guard case .relaying(let relay) = state else { return }
                if let inflater = relay.inflater {
                    // A small compressed read can decode to a lot: the inflater stops when the
                    // client is slow and keeps the rest, and the parser's later events wait too.
                    if !inflate(inflater, bytes) {
                        clientFellBehind()
                        return
                    }
                } else if !responder.write(bytes) {
                    clientFellBehind()
                }
            case .end:
                if case .relaying(let relay) = state, let inflater = relay.inflater, inflater.hasInput, !inflater.isFinished {
                    // The compressed stream was cut short: the client must not see a complete page.
                    proxy.logger.debug("a compressed page ended early", metadata: ["target": "\(request.target)"])
                    closeBoth()
                    return
                }
                responseEnded()
                return
            }
        }
    }

    private func responseHead(_ head: ResponseHead) {
        timer?.close()
        timer = nil
        var clientHead = ProxyHeaders.clientHead(head, framing: parser.framing)
        let inflater = decodeIfPage(&clientHead)
        state.startRelaying(inflater: inflater, appCloses: ProxyHeaders.closesConnection(head))
        proxy.upstreamAnswered()
        responder.onWritable = { self.resumeResponse() }
        responder.start(clientHead)
    }

    /// The client's connection queued more than it should: the app is not read until it drains.
    private func clientFellBehind() {
        state.setClientSlow(true)
        state.upstream?.stopReading()
    }

    /// The client can take more: finish decoding what the inflater held back, then read the app again.
    private func resumeResponse() {
        guard case .relaying(let relay) = state else { return }
        state.setClientSlow(false)
        if let inflater = relay.inflater, inflater.isHolding, !inflate(inflater, []) {
            state.setClientSlow(true)
            return
        }
        drain()  // events the parser already has (drain stops early while decoding is held back)
        guard case .relaying(let relay) = state, !relay.clientSlow else { return }
        relay.connection.startReading()
    }

    /// Decodes through the inflater into the client; false when the client is slow (the inflater
    /// then holds the rest of its input) or the page cannot be decoded (everything is closed).
    private func inflate(_ inflater: Inflater, _ bytes: [UInt8]) -> Bool {
        let responder = self.responder
        do throws(Inflater.Failure) {
            return try inflater.inflate(bytes) { piece in responder.write(piece) }
        } catch {
            proxy.logger.debug("cannot decode a compressed page", metadata: ["error": "\(error)"])
            closeBoth()
            return false
        }
    }

    /// A page compressed with gzip or deflate (although identity was asked for) is decoded so the
    /// client can be injected: returns the inflater, the head rewritten for the decoded body.
    /// Brotli and anything else passes through as is, without the client.
    private func decodeIfPage(_ head: inout ResponseHead) -> Inflater? {
        guard let (coding, decoded) = ProxyHeaders.decodedHead(head),
            BrokerInjection.wouldInject(request: request, response: decoded)
        else { return nil }
        guard ProxyHeaders.isDecodable(coding) else {
            proxy.logger.debug("a \(coding)-compressed page passes without the client", metadata: ["target": "\(request.target)"])
            return nil
        }
        head = decoded
        return Inflater()
    }

    private func responseEnded() {
        guard case .relaying(let relay) = state else { return }
        // Not reused: after HEAD (dev servers that send a body anyway would answer the next
        // request with it), or with bytes past the response already read (the same, seen early).
        let reusable = body.isEnded && !writer.isUpgrade && parser.framing != .untilClose
            && !relay.appCloses && !relay.appEnded && request.method != "HEAD" && !parser.isMidResponse
        _ = state.finish()
        if reusable {
            proxy.release(relay.connection)
        } else {
            relay.connection.delegate = nil
            relay.connection.close()
        }
        responder.finish()
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        state.appEnded()
        parser.finishInput()
        drain()
        guard !state.isFinished else { return }
        upstreamLost(nil)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        guard connection === state.upstream else { return }
        upstreamLost(error)
    }

    /// The app's connection ended before the response did.
    private func upstreamLost(_ error: UVError?) {
        guard case .awaitingResponse(let link) = state else {
            closeBoth()  // mid-response: the client must not take a cut-short body for a whole one
            return
        }
        // A pooled connection the app had closed: try once more on a fresh one when that is safe;
        // an app stopped while it had the request (restarted again while starting): wait for the next.
        if link.pooled, !link.heardFromApp, !retried, !body.hasBody {
            retried = true
            retryOnFreshConnection()
            return
        }
        if !link.heardFromApp, !body.hasBody, proxy.health == .starting {
            retryOnFreshConnection()
            return
        }
        proxy.upstreamSuspect()
        finishWithError(.badGateway, "The app closed the connection without answering.")
    }

    private func retryOnFreshConnection() {
        let old = state.retry()
        old?.delegate = nil
        old?.close()
        parser = HTTPResponseParser()
        parser.requestMethod = request.method
        connect()
    }

    // MARK: Tunnel

    /// The app agreed to the upgrade: a ``ProxyTunnel`` takes the app's connection and the client's.
    private func startTunnel(_ head: ResponseHead) {
        timer?.close()
        timer = nil
        guard let upstream = state.handOver() else { return }
        proxy.upstreamAnswered()
        ProxyTunnel(upstream: upstream, responder: responder)
            .start(head: ProxyHeaders.tunnelHead(head), buffered: parser.takeBufferedBytes())
    }

    /// Closes the app's connection and the client's (a response was cut short after its head).
    private func closeBoth() {
        guard finish() else { return }
        responder.abort()
    }

    /// Ends the exchange on the app's side (timer and connection closed); false when it had
    /// ended already.
    private func finish() -> Bool {
        guard !state.isFinished else { return false }
        timer?.close()
        timer = nil
        let upstream = state.finish()
        upstream?.delegate = nil
        upstream?.close()
        return true
    }

    // MARK: Failures

    private func clientWentAway() {
        _ = finish()
    }

    private func timedOut() {
        guard !state.isFinished else { return }
        proxy.logger.info(
            "the app did not answer in time", metadata: ["method": "\(request.method)", "target": "\(request.target)"])
        finishWithError(.gatewayTimeout, "The app did not answer in time.")
    }

    private func failBeforeResponse(_ error: UVError) {
        // Refused while the app starts (a restart began after this request was let through):
        // the request waits for the new process.
        if proxy.health == .starting, proxy.admit(self) == .held { return }
        proxy.upstreamFailed()
        proxy.logger.debug("cannot reach the app", metadata: ["error": "\(error)"])
        finishWithError(.badGateway, "Cannot reach the app at \(proxy.configuration.authority): \(error.message).")
    }

    /// Answers an error (a waiting page for page requests) and closes what is left of the app's side.
    private func finishWithError(_ status: HTTPStatus, _ message: String) {
        guard finish() else { return }
        if writer.isNavigation {
            proxy.servedWaitingPage()
            responder.respond(
                ProxyWaitingPage.response(
                    status: status, app: proxy.configuration.authority, detail: message, appStatus: proxy.app?.status,
                    prefix: proxy.core.configuration.prefix))
        } else {
            var response = BrokerCore.plain(status, "reload-broker: \(message)\n")
            response.head.headers.add("Retry-After", "1")
            responder.respond(response)
        }
    }
}
