import HTTPCodec
import Logging
import UVLoop

/// One proxied request: the client's request goes to the app as it arrives, the app's response
/// comes back as it arrives, each side paused while the other is slow. After a `101` it becomes
/// a byte tunnel until either side closes.
final class ProxyExchange: RequestBodyReceiver, TunnelReceiver, TCPConnectionDelegate {
    private unowned let proxy: ProxyState
    private let request: RequestHead
    private let responder: HTTPResponder
    private let isUpgrade: Bool
    private let isNavigation: Bool
    private let requestChunked: Bool
    private let headBytes: [UInt8]

    private var upstream: TCPConnection?
    private var pooled = false
    private var retried = false
    private var parser = HTTPResponseParser()
    private var timer: LoopTimer?
    /// Body bytes that arrived before the app's connection was ready.
    private var pending: [[UInt8]] = []
    private var pendingBytes = 0
    private var bodyStarted = false
    private var requestEnded = false
    private var clientPaused = false
    private var responseStarted = false
    private var receivedAnything = false
    private var tunnelling = false
    private var clientEnded = false
    private var upstreamEnded = false
    private var done = false
    /// Decodes a page the app compressed anyway, so that it can get the client.
    private var inflater: Inflater?

    /// Upstream output queued beyond this pauses the client.
    private static let highWater = 256 * 1024

    init(proxy: ProxyState, request: RequestHead, responder: HTTPResponder) {
        self.proxy = proxy
        self.request = request
        self.responder = responder
        isUpgrade = request.headers.contains("Upgrade") && request.headers.containsToken("upgrade", in: "Connection")
        isNavigation = Self.isNavigation(request)
        requestChunked = request.headers.contains("Transfer-Encoding")
        headBytes = Self.forwardedHead(
            request, clientAddress: responder.clientAddress, upgrade: isUpgrade, navigation: isNavigation,
            chunked: requestChunked, upstreamAuthority: proxy.configuration.authority)
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
        proxy.connect(fresh: isUpgrade || retried) { result in
            guard !self.done else {
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
        upstream = connection
        self.pooled = pooled
        connection.delegate = self
        connection.setNoDelay(true)
        connection.startReading()
        connection.write(headBytes)
        for piece in pending { writeBody(piece) }
        pending = []
        pendingBytes = 0
        if requestEnded, requestChunked { connection.write(HTTPChunkedWriter.lastChunk) }
        if clientPaused, connection.queuedBytes < Self.highWater {
            clientPaused = false
            responder.resumeReading()
        }
    }

    /// The exchange is over (answered, failed, or its client went away).
    var isFinished: Bool { done }

    /// The app accepts connections again: go on with the held request.
    func resume() {
        guard !done else { return }
        connect()
    }

    /// The app ended while the request was held.
    func appUnavailable(_ message: String) {
        guard !done else { return }
        finishWithError(.badGateway, message)
    }

    // MARK: Request body (client → app)

    func receive(_ bytes: [UInt8]) -> Bool {
        guard !done else { return true }
        bodyStarted = true
        // The timeout counts from the last byte of the request, not from its first (long uploads).
        timer?.start(after: proxy.timeout) { self.timedOut() }
        guard let upstream else {
            pending.append(bytes)
            pendingBytes += bytes.count
            if pendingBytes >= Self.highWater { clientPaused = true }
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
        guard !done else { return }
        requestEnded = true
        if bodyStarted { timer?.start(after: proxy.timeout) { self.timedOut() } }
        if let upstream, requestChunked { upstream.write(HTTPChunkedWriter.lastChunk) }
    }

    private func writeBody(_ bytes: [UInt8]) {
        guard let upstream, !bytes.isEmpty else { return }
        if requestChunked {
            upstream.write(HTTPChunkedWriter.chunk(bytes))
        } else {
            upstream.write(bytes)
        }
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        if clientPaused {
            clientPaused = false
            responder.resumeReading()
        }
    }

    // MARK: Response (app → client)

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        receivedAnything = true
        if tunnelling {
            var copy: [UInt8] = []
            copy.reserveCapacity(bytes.count)
            for index in bytes.indices { copy.append(bytes[index]) }
            if !responder.write(copy) { connection.stopReading() }
            return
        }
        parser.append(bytes)
        drain()
    }

    private func drain() {
        while !done, !tunnelling, !(inflater?.isHolding ?? false) {
            let event: HTTPResponseParser.Event
            do throws(HTTPResponseParseError) {
                guard let next = try parser.nextEvent() else { return }
                event = next
            } catch {
                proxy.logger.debug("bad response from the app", metadata: ["error": "\(error)", "target": "\(request.target)"])
                if responseStarted {
                    closeBoth()
                } else {
                    finishWithError(.badGateway, "The app's response could not be read: \(error).")
                }
                return
            }
            switch event {
            case .head(let head):
                if head.status.code == 101 {
                    if isUpgrade { startTunnel(head) } else { finishWithError(.badGateway, "The app switched protocols unasked.") }
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
                if inflater != nil {
                    // A small compressed read can decode to a lot: the inflater stops when the
                    // client is slow and keeps the rest, and the parser's later events wait too.
                    if !inflateInto(responder, bytes) {
                        clientSlow = true
                        upstream?.stopReading()
                        return
                    }
                } else if !responder.write(bytes) {
                    clientSlow = true
                    upstream?.stopReading()
                }
            case .end:
                if let inflater, inflater.hasInput, !inflater.isFinished {
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
        responseStarted = true
        responseHeadCloses = head.headers.containsToken("close", in: "Connection")
            || (head.version == .http1_0 && !head.headers.containsToken("keep-alive", in: "Connection"))
        proxy.upstreamAnswered()
        var head = head
        // The broker frames the response to the client itself, as HTTP/1.1 (an HTTP/1.0 app's head
        // must not go out as "HTTP/1.0" with chunked framing), and only a Content-Length that frames
        // the body the parser reads is relayed: with Transfer-Encoding too, the app's Content-Length
        // is wrong for what the client gets (RFC 9112 §6.3).
        head.version = .http1_1
        Self.removeHopByHop(&head.headers, keepUpgrade: false)
        switch parser.framing {
        case .length(let length): head.headers.replaceOrAdd("Content-Length", String(length))
        case .chunked, .untilClose: head.headers.remove("Content-Length")
        case .none: break  // HEAD, 204, 304: the app's value describes the GET it did not send
        }
        decodeIfPage(&head)
        responder.onWritable = { self.resumeResponse() }
        responder.start(head)
    }

    /// The client can take more: finish decoding what the inflater held back, then read the app again.
    private func resumeResponse() {
        guard !done else { return }
        clientSlow = false
        if let inflater, inflater.isHolding, !inflateInto(responder, []) {
            clientSlow = true
            return
        }
        drain()  // events the parser already has (drain stops early while decoding is held back)
        guard !done, !clientSlow else { return }
        upstream?.startReading()
    }

    /// The client's connection had more queued than it should: the app is not read until it drains.
    private var clientSlow = false

    /// Decodes through the inflater into the client; false when the client is slow (the inflater
    /// then holds the rest of its input) or the page cannot be decoded (everything is closed).
    private func inflateInto(_ responder: HTTPResponder, _ bytes: [UInt8]) -> Bool {
        guard let inflater else { return true }
        do throws(Inflater.Failure) {
            return try inflater.inflate(bytes) { piece in responder.write(piece) }
        } catch {
            proxy.logger.debug("cannot decode a compressed page", metadata: ["error": "\(error)"])
            closeBoth()
            return false
        }
    }

    /// A page compressed with gzip or deflate (although identity was asked for) is decoded so the
    /// client can be injected; brotli and anything else passes through as is, without the client.
    private func decodeIfPage(_ head: inout ResponseHead) {
        let codings = head.headers.values("Content-Encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIIWhitespace().asciiLowercased() }.filter { $0 != "identity" }
        guard codings.count == 1 else { return }
        var decoded = head
        decoded.headers.remove("Content-Encoding")
        guard responder.connection.core.shouldInject(request: request, response: decoded) else { return }
        guard ["gzip", "x-gzip", "deflate"].contains(codings[0]) else {
            proxy.logger.debug("a \(codings[0])-compressed page passes without the client", metadata: ["target": "\(request.target)"])
            return
        }
        inflater = Inflater()
        decoded.headers.remove("Content-Length")
        head = decoded
    }

    private func responseEnded() {
        guard let upstream else { return }
        // Not reused: after HEAD (dev servers that send a body anyway would answer the next
        // request with it), or with bytes past the response already read (the same, seen early).
        let reusable = requestEnded && !isUpgrade && parser.framing != .untilClose
            && !(responseHeadCloses) && !upstreamEnded && request.method != "HEAD" && !parser.isMidResponse
        done = true
        self.upstream = nil
        if reusable {
            proxy.release(upstream)
        } else {
            upstream.delegate = nil
            upstream.close()
        }
        let responder = self.responder
        responder.finish()
    }

    private var responseHeadCloses = false

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        upstreamEnded = true
        if tunnelling {
            if clientEnded { closeBoth() } else { responder.shutdownTunnel() }
            return
        }
        parser.finishInput()
        drain()
        guard !done else { return }
        upstreamLost(nil)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        guard connection === upstream else { return }
        upstream = nil
        if tunnelling {
            closeBoth()
            return
        }
        guard !done else { return }
        upstreamLost(error)
    }

    /// The app's connection ended before the response did.
    private func upstreamLost(_ error: UVError?) {
        if responseStarted {
            closeBoth()
            return
        }
        // A pooled connection the app had closed: try once more on a fresh one when that is safe;
        // an app stopped while it had the request (restarted again while starting): wait for the next.
        if pooled, !receivedAnything, !retried, !bodyStarted {
            retried = true
            retryOnFreshConnection()
            return
        }
        if !receivedAnything, !bodyStarted, proxy.health == .starting {
            retryOnFreshConnection()
            return
        }
        proxy.upstreamSuspect()
        finishWithError(.badGateway, "The app closed the connection without answering.")
    }

    private func retryOnFreshConnection() {
        let old = upstream
        upstream = nil
        old?.delegate = nil
        old?.close()
        parser = HTTPResponseParser()
        parser.requestMethod = request.method
        upstreamEnded = false
        connect()
    }

    // MARK: Tunnel

    private func startTunnel(_ head: ResponseHead) {
        timer?.close()
        timer = nil
        tunnelling = true
        proxy.upstreamAnswered()
        var head = head
        head.version = .http1_1
        Self.removeHopByHop(&head.headers, keepUpgrade: true)
        responder.onWritable = { self.upstream?.startReading() }
        let early = responder.switchProtocols(head, receiver: self)
        if !early.isEmpty { upstream?.write(early) }
        let rest = parser.takeBufferedBytes()
        if !rest.isEmpty, !responder.write(rest) { upstream?.stopReading() }
    }

    func tunnelReceive(_ bytes: [UInt8]) {
        guard let upstream else { return }
        upstream.write(bytes)
        if upstream.queuedBytes >= Self.highWater {
            clientPaused = true
            responder.pauseReading()
        }
    }

    func tunnelEnded() {
        clientEnded = true
        if upstreamEnded { closeBoth() } else { upstream?.shutdown() }
    }

    /// Closes the app's connection and the client's (a tunnel ended, or a response was cut short
    /// after its head).
    private func closeBoth() {
        guard finish() else { return }
        responder.abort()
    }

    /// Ends the exchange on the app's side (timer and connection closed); false when it had
    /// ended already.
    private func finish() -> Bool {
        guard !done else { return false }
        done = true
        timer?.close()
        timer = nil
        let upstream = self.upstream
        self.upstream = nil
        upstream?.delegate = nil
        upstream?.close()
        return true
    }

    // MARK: Failures

    private func clientWentAway() {
        _ = finish()
    }

    private func timedOut() {
        guard !done else { return }
        proxy.logger.warning("the app did not answer \(request.method) \(request.target) in time")
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
        if isNavigation {
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


    // MARK: Heads

    /// A request a browser makes to show a page (so a waiting page makes sense, and the page
    /// should come uncompressed so that the client can be injected).
    static func isNavigation(_ request: RequestHead) -> Bool {
        guard request.method == "GET" else { return false }
        if let destination = request.headers["Sec-Fetch-Dest"]?.asciiLowercased() {
            return ["document", "iframe", "frame"].contains(destination)
        }
        return request.headers.values("Accept").contains { $0.asciiLowercased().contains("text/html") }
    }

    /// Removes the hop-by-hop fields of RFC 9110 §7.6.1: Connection and every field it names,
    /// Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade (kept for tunnels), Proxy-*.
    /// `Connection` cannot remove `Host` or `Content-Length`: the proxy frames the message by them
    /// (`Connection: content-length` would otherwise send the body as the app's next request).
    static func removeHopByHop(_ headers: inout HTTPHeaders, keepUpgrade: Bool) {
        var named: [String] = []
        for value in headers.values("Connection") {
            for token in value.split(separator: ",") {
                let name = token.trimmingASCIIWhitespace().asciiLowercased()
                if !name.isEmpty, name != "host", name != "content-length" { named.append(name) }
            }
        }
        var kept = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.asciiLowercased()
            if keepUpgrade, lower == "upgrade" || lower == "connection" {
                kept.add(name, value)
                continue
            }
            if ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"].contains(lower)
                || lower.hasPrefix("proxy-") || named.contains(lower)
            {
                continue
            }
            kept.add(name, value)
        }
        if keepUpgrade { kept.replaceOrAdd("Connection", "Upgrade") }
        headers = kept
    }

    /// The head sent to the app.
    static func forwardedHead(
        _ request: RequestHead, clientAddress: String?, upgrade: Bool, navigation: Bool, chunked: Bool,
        upstreamAuthority: String
    ) -> [UInt8] {
        var headers = request.headers
        let host = headers["Host"]
        removeHopByHop(&headers, keepUpgrade: upgrade)
        var forwardedFor = headers.values("X-Forwarded-For").joined(separator: ", ")
        if let clientAddress {
            forwardedFor = forwardedFor.isEmpty ? clientAddress : forwardedFor + ", " + clientAddress
        }
        headers.remove("X-Forwarded-For")
        if !forwardedFor.isEmpty { headers.add("X-Forwarded-For", forwardedFor) }
        if let host { headers.replaceOrAdd("X-Forwarded-Host", host) }
        headers.replaceOrAdd("X-Forwarded-Proto", "http")
        if navigation { headers.replaceOrAdd("Accept-Encoding", "identity") }
        // The body is framed as the broker read it: one canonical Content-Length (the parser made
        // sure every value agreed), or chunked.
        if let length = request.headers.values("Content-Length").first?.split(separator: ",").first
            .map({ $0.trimmingASCIIWhitespace() })
        {
            headers.replaceOrAdd("Content-Length", length)
        }
        if chunked {
            headers.remove("Content-Length")
            headers.add("Transfer-Encoding", "chunked")
        }
        if host == nil { headers.add("Host", upstreamAuthority) }  // an HTTP/1.0 request without one
        return RequestHead(method: request.method, target: request.target, version: .http1_1, headers: headers)
            .serialized()
    }
}

extension HTTPResponder {
    /// The client's IP address (without the port), for X-Forwarded-For.
    var clientAddress: String? {
        guard let address = connection.tcp.peerAddress else { return nil }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        return address.split(separator: ":").first.map(String.init)
    }
}
