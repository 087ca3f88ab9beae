import HTTPCodec
import Logging
import UVLoop

/// One HTTP/1.1 connection of an ``HTTP1Server``.
///
/// Loop-bound and small (thousands live at once): no read buffer (reads land in the loop's
/// shared buffer; the parser keeps only partial input) and no timer (the server's sweep asks its
/// ``HTTPConnectionDeadline``). Requests are parsed event by event: the router decides at each
/// head whether the body is collected (bounded) for a handler or streamed to one.
final class HTTPServerConnection: TCPConnectionDelegate {
    enum Mode: Equatable {
        /// Reading requests.
        case http
        /// Error answered or last response sent: discarding input until EOF or the linger's end.
        case closing(Linger)
    }

    let tcp: TCPConnection
    unowned let server: HTTP1Server
    let id: UInt64
    private(set) var mode = Mode.http
    /// Index in `server.connections`.
    var connectionIndex = -1

    private var parser: HTTPRequestParser
    /// A handler is answering the current request; later pipelined requests wait (and reading
    /// pauses, so a client cannot pile up input meanwhile).
    private var awaitingResponse = false
    /// `processRequests` is on the stack: a response finished synchronously lets its loop go on
    /// instead of recursing (thousands of pipelined requests must not grow the stack).
    private var isProcessing = false
    /// The peer sent EOF: answer what is in flight, then close.
    private var inputEnded = false
    /// A request head was delivered and its `.end` is outstanding: its body is still arriving (a
    /// streamed request's response may already be on its way meanwhile).
    private(set) var requestStillArriving = false
    /// A request whose body is being collected, and who gets it.
    private var collecting: (request: HTTPRequest, target: CollectedTarget)?
    private var bodyReceiver: (any RequestBodyReceiver)?
    private var bodyPaused = false
    /// The responder of the request in flight, told when the client goes away.
    private var currentResponder: HTTPResponder?
    /// A streamed response waiting for the socket to drain.
    var streamingResponder: HTTPResponder?
    /// Set after a `101` passed through (``HTTPResponder/switchProtocols(_:receiver:)``): every byte goes there.
    private var tunnel: (any TunnelReceiver)?

    /// The head, idle and write timeouts (closing: with the mode's ``Linger``).
    private(set) var deadline: HTTPConnectionDeadline

    private enum CollectedTarget {
        case router
        case handler(any RequestHandler)
    }

    private var timeouts: HTTPServerTimeouts { server.configuration.timeouts }

    init(tcp: TCPConnection, server: HTTP1Server, id: UInt64) {
        self.tcp = tcp
        self.server = server
        self.id = id
        self.parser = HTTPRequestParser(limits: server.configuration.limits)
        self.deadline = HTTPConnectionDeadline(now: server.loop.now, timeouts: server.configuration.timeouts)
    }

    // MARK: Reading

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        if let tunnel {
            var copy: [UInt8] = []
            copy.reserveCapacity(bytes.count)
            for index in bytes.indices { copy.append(bytes[index]) }
            tunnel.tunnelReceive(copy)
            return
        }
        guard mode == .http else { return }  // closing: discarded, we only wait for the peer to go away
        if !parser.isMidRequest, !awaitingResponse {
            deadline.requestBegan(now: server.loop.now, timeouts: timeouts)
        }
        parser.append(bytes)
        processRequests()
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        inputEnded = true
        if let tunnel {
            tunnel.tunnelEnded()
            return
        }
        if requestStillArriving {
            tcp.close()  // the request body was cut short
            return
        }
        switch mode {
        case .http where awaitingResponse:
            break  // answer the request in flight, then close (keep-alive is off after EOF)
        case .http:
            linger()  // closes at once, or once the queued response has reached the peer
        case .closing(let linger):
            linger.inputEnded(tcp)
        }
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        deadline.outputDrained()
        if case .closing(var linger) = mode {
            // Everything we owed is out: now give the peer the linger time to go away (or close
            // at once when it already half-closed).
            linger.outputDrained(tcp, inputEnded: inputEnded, now: server.loop.now, duration: timeouts.linger)
            mode = .closing(linger)
            if inputEnded { return }
        }
        if let responder = streamingResponder, let onWritable = responder.onWritable {
            onWritable()
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        if let error, !error.isEndOfFile {
            server.logger.debug("connection closed", metadata: ["connection.id": "\(id)", "error": "\(error)"])
        }
        streamingResponder?.onWritable = nil
        streamingResponder = nil
        let responder = currentResponder
        currentResponder = nil
        bodyReceiver = nil
        collecting = nil
        tunnel = nil
        responder?.clientClosed()
        server.remove(self)
    }

    // MARK: Requests

    private func processRequests() {
        guard !isProcessing else { return }
        isProcessing = true
        defer { isProcessing = false }
        while mode == .http, tunnel == nil, !bodyPaused, !tcp.isClosing {
            if !requestStillArriving, awaitingResponse { return }
            let event: HTTPRequestParser.Event
            do throws(HTTPParseError) {
                guard let next = try parser.nextEvent() else { return }
                event = next
            } catch {
                server.logger.debug(
                    "bad request", metadata: ["connection.id": "\(id)", "error": "\(error)", "status": "\(error.status.code)"])
                fail(status: error.status, detail: error.detail)
                return
            }
            switch event {
            case .head(let head):
                begin(head)
            case .body(let bytes):
                if collecting != nil {
                    collecting!.request.body += bytes
                    if collecting!.request.body.count > server.configuration.limits.maxBodyBytes {
                        fail(status: .payloadTooLarge)
                        return
                    }
                } else if let receiver = bodyReceiver, !receiver.receive(bytes) {
                    bodyPaused = true
                    tcp.stopReading()
                }
            case .end:
                requestStillArriving = false
                // Input waits while the response is in flight (bounded buffering); responseFinished resumes it.
                if let (request, target) = collecting {
                    collecting = nil
                    awaitingResponse = true
                    deadline.handlerTookOver()  // the head timeout covered the collected body too
                    tcp.stopReading()
                    let responder = HTTPResponder(request: request.head, connection: self)
                    currentResponder = responder
                    switch target {
                    case .router:
                        if let router = server.router {
                            router.handle(request, responder: responder)
                        } else {
                            fail(status: .serviceUnavailable)
                        }
                    case .handler(let handler):
                        handler.handle(request, responder: responder)
                    }
                } else {
                    let receiver = bodyReceiver
                    bodyReceiver = nil
                    if awaitingResponse { tcp.stopReading() }
                    receiver?.end()
                }
            }
        }
    }

    /// A head: the router says who takes the request.
    private func begin(_ head: RequestHead) {
        requestStillArriving = true
        let route = server.router?.route(head) ?? .refuse(.serviceUnavailable, detail: "The server is not ready.")
        // Only a streamed request may have a body larger than the limit: for every other route (a
        // refusal too) a larger declared body is a 413 from the head alone, before the route's answer.
        if !route.streamsBody, let length = head.headers["Content-Length"].flatMap({ Int($0) }),
            length > server.configuration.limits.maxBodyBytes
        {
            fail(status: .payloadTooLarge)
            return
        }
        switch route {
        case .router, .handler:
            let target: CollectedTarget
            if case .handler(let handler) = route { target = .handler(handler) } else { target = .router }
            collecting = (HTTPRequest(head: head), target)
        case .stream(let handler):
            awaitingResponse = true
            deadline.handlerTookOver()  // a body may stream for as long as it takes
            let responder = HTTPResponder(request: head, connection: self)
            currentResponder = responder
            bodyReceiver = handler.handle(head: head, responder: responder)
        case .refuse(let status, let detail):
            fail(status: status, detail: detail)
        }
    }

    /// Reading resumes after a body receiver or a tunnel paused it.
    func resumeReading() {
        guard !tcp.isClosing else { return }
        if tunnel != nil {
            tcp.startReading()
            return
        }
        guard bodyPaused else { return }
        bodyPaused = false
        tcp.startReading()
        processRequests()
    }

    /// Turns the connection into a tunnel to `receiver`; returns the bytes already buffered.
    func startTunnel(_ receiver: any TunnelReceiver) -> [UInt8] {
        tunnel = receiver
        awaitingResponse = true
        deadline.handlerTookOver()
        requestStillArriving = false
        bodyReceiver = nil
        tcp.startReading()  // reading paused when the upgrade request ended
        return parser.takeBufferedBytes()
    }

    /// Hands the socket to a new owner after its `101` was written: the server forgets it.
    func handOver() -> UpgradedConnection {
        let buffered = parser.takeBufferedBytes()
        currentResponder = nil
        streamingResponder = nil
        tcp.delegate = nil
        server.remove(self)
        return UpgradedConnection(tcp: tcp, bufferedBytes: buffered, id: id)
    }

    /// Called by responders when a response is complete.
    func responseFinished(keepAlive: Bool) {
        awaitingResponse = false
        if !requestStillArriving { currentResponder = nil }
        guard mode == .http, !tcp.isClosing else { return }
        // Answered before its body ended (the app answered early, a 504, a 502): the rest of the
        // body is discarded by lingering, never buffered; the connection cannot be reused.
        if !keepAlive || inputEnded || requestStillArriving {
            linger()
            return
        }
        deadline.responseFinished(now: server.loop.now, nextRequestBegun: parser.isMidRequest, timeouts: timeouts)
        tcp.startReading()
        processRequests()  // returns at once when called from within processRequests' own loop
    }

    /// Answers with an error status and closes the connection (after the peer had time to read it).
    func fail(status: HTTPStatus, detail: String? = nil, headers: HTTPHeaders = [:]) {
        awaitingResponse = true
        collecting = nil
        tcp.write(HTTPResponseWriter.errorResponse(status, detail: detail, extraHeaders: headers))
        linger()
    }

    /// Half-closes after the queued output and discards input until EOF or a short deadline, so
    /// the peer reads our last response instead of a reset (closing with unread input sends RST).
    func linger() {
        guard mode == .http else { return }
        mode = .closing(Linger(starting: tcp, inputEnded: inputEnded, now: server.loop.now, duration: timeouts.linger))
    }

    // MARK: Sweep

    /// The sweep's look at this connection at `now`.
    func sweep(now: UInt64) -> HTTPConnectionDeadline.Verdict {
        var lingering: Linger?
        if case .closing(let linger) = mode { lingering = linger }
        let verdict = deadline.check(
            now: now, queuedBytes: tcp.queuedBytes, completedWrites: tcp.completedWrites, linger: lingering,
            timeouts: timeouts)
        if case .close(let timeout) = verdict {
            server.logger.debug(
                "closing a connection at its timeout", metadata: ["connection.id": "\(id)", "timeout": "\(timeout.rawValue)"])
        }
        return verdict
    }
}

extension HTTPParseError {
    /// The human reason of a malformed request, for the error body.
    var detail: String? {
        if case .malformed(let reason) = self { return reason }
        return nil
    }
}
