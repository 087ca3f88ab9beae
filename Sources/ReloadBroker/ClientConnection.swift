import HTTPCodec
import Logging
import UVLoop
import WebSocketCodec

/// One client of the broker: an HTTP/1.1 connection that may become a WebSocket.
///
/// Loop-bound. Kept small on purpose (thousands live at once): no read buffer
/// (reads land in the loop's shared buffer; parsers keep only partial input),
/// no timer (the core's one sweep timer checks the deadlines below).
final class ClientConnection: TCPConnectionDelegate {
    enum Mode: UInt8 {
        /// Reading requests.
        case http
        /// Upgraded; in the core's broadcast list.
        case webSocket
        /// Error answered or close frame sent: discarding input until EOF or the linger deadline.
        case closing
    }

    let tcp: TCPConnection
    unowned let core: BrokerCore
    let id: UInt64
    var mode = Mode.http
    /// The protocol of this client once upgraded (picks its broadcast frame).
    var dialect = SocketDialect.broker
    /// A LiveReload client's page URL, from its `info` (tiny-lr's `/changed` lists it).
    var liveReloadURL: String?
    /// Index in `core.connections`.
    var connectionIndex = -1
    /// Index in `core.sockets` while a WebSocket.
    var socketIndex = -1

    private var httpParser: HTTPRequestParser
    private var webSocketParser: WebSocketParser?
    /// A handler is answering the current request; later pipelined requests wait (and reading
    /// pauses, so a client cannot pile up input meanwhile).
    private var awaitingResponse = false
    /// `processRequests` is on the stack: a response finished synchronously lets its loop go on
    /// instead of recursing (thousands of pipelined requests must not grow the stack).
    private var isProcessing = false
    /// The peer sent EOF: answer what is in flight, then close.
    private var inputEnded = false
    var streamingResponder: HTTPResponder?

    // Streaming requests (the fallback is a `StreamingRequestHandler`, i.e. the proxy).
    /// A request head was delivered and its `.end` is outstanding.
    private var inStreamedRequest = false
    /// A broker request (under the prefix) whose body is being collected in streaming mode.
    private var collecting: HTTPRequest?
    private var bodyReceiver: (any RequestBodyReceiver)?
    private var bodyPaused = false
    /// The responder of the request in flight, told when the client goes away.
    private var currentResponder: HTTPResponder?
    /// Set after a proxied `101`: every byte goes there.
    private var tunnel: (any TunnelReceiver)?

    // Deadlines, in loop milliseconds; 0 means none. Checked by `core.sweep`.
    /// HTTP: end of the head timeout or of the idle timeout; closing: end of the linger.
    var deadline: UInt64 = 0
    /// WebSocket: last time anything was read.
    var lastHeard: UInt64 = 0
    /// WebSocket: when our unanswered ping was sent (0: none outstanding).
    var pingSentAt: UInt64 = 0
    /// Since when queued output has made no progress (0: nothing queued). Checked by the sweep
    /// against the write timeout, for WebSocket frames and HTTP responses alike.
    var blockedSince: UInt64 = 0
    /// `tcp.completedWrites` when the sweep last looked (progress resets `blockedSince`).
    var lastCompletedWrites = 0
    /// The latest broadcast that could not be written because earlier output was still queued.
    var pending: PendingBroadcast?
    private var closeFrameSent = false

    init(tcp: TCPConnection, core: BrokerCore, id: UInt64) {
        self.tcp = tcp
        self.core = core
        self.id = id
        self.httpParser = HTTPRequestParser(limits: core.configuration.httpLimits)
        self.deadline = core.loop.now + core.timeouts.head
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
        switch mode {
        case .http:
            if !httpParser.isMidRequest, !awaitingResponse {
                // First byte of a new request: the head timeout starts now.
                deadline = core.loop.now + core.timeouts.head
            }
            httpParser.append(bytes)
            processRequests()
        case .webSocket:
            lastHeard = core.loop.now
            webSocketParser!.append(bytes)
            processFrames()
        case .closing:
            break  // discarded: we only wait for the peer to go away
        }
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        inputEnded = true
        if let tunnel {
            tunnel.tunnelEnded()
            return
        }
        if inStreamedRequest {
            tcp.close()  // the request body was cut short
            return
        }
        switch mode {
        case .http where awaitingResponse:
            break  // answer the request in flight, then close (keep-alive is off after EOF)
        case .http, .closing:
            if tcp.queuedBytes > 0 {
                linger()  // let the queued response reach the peer first
                deadline = 0
            } else {
                tcp.close()
            }
        case .webSocket:
            tcp.close()
        }
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        blockedSince = 0
        if mode == .closing {
            // Everything we owed is out: now give the peer the linger time to go away (or close
            // at once when it already half-closed).
            if inputEnded {
                tcp.close()
                return
            }
            deadline = core.loop.now + core.timeouts.linger
        }
        if let pending {
            self.pending = nil
            send(core.frame(for: pending, dialect: dialect))
        }
        if let responder = streamingResponder, let onWritable = responder.onWritable {
            onWritable()
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        if let error, !error.isEndOfFile {
            core.logger.debug("connection closed", metadata: ["connection.id": "\(id)", "error": "\(error)"])
        }
        streamingResponder?.onWritable = nil
        streamingResponder = nil
        let responder = currentResponder
        currentResponder = nil
        bodyReceiver = nil
        tunnel = nil
        responder?.clientClosed()
        core.remove(self)
    }

    // MARK: HTTP

    private func processRequests() {
        guard !isProcessing else { return }
        isProcessing = true
        defer { isProcessing = false }
        if let streaming = core.configuration.fallback as? any StreamingRequestHandler {
            processStreamedRequests(streaming)
            return
        }
        while mode == .http, !awaitingResponse, !tcp.isClosing {
            let request: HTTPRequest
            do throws(HTTPParseError) {
                guard let next = try httpParser.nextRequest() else { return }
                request = next
            } catch {
                core.logger.debug(
                    "bad request", metadata: ["connection.id": "\(id)", "error": "\(error)", "status": "\(error.status.code)"])
                fail(status: error.status, detail: error.detail)
                return
            }
            awaitingResponse = true
            deadline = 0
            tcp.stopReading()
            core.route(request, on: self)
        }
    }

    /// Requests parsed event by event: the broker's own ones are collected (bounded) and routed as
    /// usual; the others go to the streaming handler at their head, the body following as it arrives.
    private func processStreamedRequests(_ handler: any StreamingRequestHandler) {
        while mode == .http, tunnel == nil, !bodyPaused, !tcp.isClosing {
            if !inStreamedRequest, awaitingResponse { return }
            let event: HTTPRequestParser.Event
            do throws(HTTPParseError) {
                guard let next = try httpParser.nextEvent() else { return }
                event = next
            } catch {
                core.logger.debug(
                    "bad request", metadata: ["connection.id": "\(id)", "error": "\(error)", "status": "\(error.status.code)"])
                fail(status: error.status, detail: error.detail)
                return
            }
            switch event {
            case .head(let head):
                inStreamedRequest = true
                deadline = 0
                let prefix = core.configuration.prefix
                if head.path == prefix || head.path.hasPrefix(prefix + "/") || core.liveReloadEndpoint(for: head.path) != nil {
                    if let length = head.headers["Content-Length"].flatMap({ Int($0) }),
                        length > core.configuration.httpLimits.maxBodyBytes
                    {
                        fail(status: .payloadTooLarge)
                        return
                    }
                    collecting = HTTPRequest(head: head)
                } else {
                    awaitingResponse = true
                    guard core.policy.allowsHost(head.headers["Host"]) else {
                        let host = head.headers["Host"] ?? ""
                        core.logger.warning("refused a request for a foreign Host (DNS rebinding defence)", metadata: ["host": "\(host)"])
                        fail(status: .forbidden, detail: "Host \"\(host)\" is not allowed. Allow it with --allow-host.")
                        return
                    }
                    let responder = HTTPResponder(request: head, connection: self)
                    currentResponder = responder
                    bodyReceiver = handler.handle(head: head, responder: responder)
                }
            case .body(let bytes):
                if collecting != nil {
                    collecting!.body += bytes
                    if collecting!.body.count > core.configuration.httpLimits.maxBodyBytes {
                        fail(status: .payloadTooLarge)
                        return
                    }
                } else if let receiver = bodyReceiver, !receiver.receive(bytes) {
                    bodyPaused = true
                    tcp.stopReading()
                }
            case .end:
                inStreamedRequest = false
                // Input waits while the response is in flight (bounded buffering); responseFinished resumes it.
                if let request = collecting {
                    collecting = nil
                    awaitingResponse = true
                    tcp.stopReading()
                    core.route(request, on: self)
                } else {
                    let receiver = bodyReceiver
                    bodyReceiver = nil
                    if awaitingResponse { tcp.stopReading() }
                    receiver?.end()
                }
            }
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
        deadline = 0
        inStreamedRequest = false
        bodyReceiver = nil
        tcp.startReading()  // reading paused when the upgrade request ended
        return httpParser.takeBufferedBytes()
    }

    /// Called by responders when a response is complete.
    /// A streamed request's body is still coming in (its response may already be on its way).
    var requestStillArriving: Bool { inStreamedRequest }

    func responseFinished(keepAlive: Bool) {
        awaitingResponse = false
        if !inStreamedRequest { currentResponder = nil }
        guard mode == .http, !tcp.isClosing else { return }
        // Answered before its body ended (the app answered early, a 504, a 502): the rest of the
        // body is discarded by lingering, never buffered; the connection cannot be reused.
        if !keepAlive || inputEnded || inStreamedRequest {
            linger()
            return
        }
        deadline = core.loop.now + (httpParser.isMidRequest ? core.timeouts.head : core.timeouts.idle)
        tcp.startReading()
        processRequests()  // returns at once when called from within processRequests' own loop
    }

    /// Answers with an error status and closes the connection (after the peer had time to read it).
    func fail(status: HTTPStatus, detail: String? = nil, headers: HTTPHeaders = [:]) {
        awaitingResponse = true
        tcp.write(HTTPResponseWriter.errorResponse(status, detail: detail, extraHeaders: headers))
        linger()
    }

    /// Half-closes after the queued output and discards input until EOF or a short deadline, so
    /// the peer reads our last response instead of a reset (closing with unread input sends RST).
    func linger() {
        guard mode != .closing else { return }
        if mode == .webSocket { core.unregisterSocket(self) }
        mode = .closing
        tcp.shutdown()
        if !inputEnded { tcp.startReading() }  // discard input so the peer's close is seen
        // The linger time starts once our output is out (see connectionDidDrain); until then the
        // write timeout guards a peer that stops reading.
        deadline = tcp.queuedBytes > 0 ? 0 : core.loop.now + core.timeouts.linger
    }

    // MARK: WebSocket

    /// Switches to WebSocket after the 101 response was written.
    func upgrade() {
        let leftover = httpParser.takeBufferedBytes()
        httpParser = HTTPRequestParser(limits: core.configuration.httpLimits)
        webSocketParser = WebSocketParser(role: .server, maxMessageBytes: core.configuration.maxMessageBytes)
        awaitingResponse = false
        mode = .webSocket
        deadline = 0
        lastHeard = core.loop.now
        core.registerSocket(self)
        tcp.startReading()
        if !leftover.isEmpty {
            webSocketParser!.append(leftover)
            processFrames()
        }
    }

    private func processFrames() {
        while mode == .webSocket {
            let event: WebSocketEvent
            do throws(WebSocketProtocolError) {
                guard let next = try webSocketParser!.next() else { return }
                event = next
            } catch {
                core.logger.debug(
                    "websocket protocol error",
                    metadata: ["connection.id": "\(id)", "close.code": "\(error.closeCode.rawValue)", "reason": "\(error.reason)"])
                sendClose(WebSocketFrameEncoder.close(code: error.closeCode, reason: error.reason))
                return
            }
            switch event {
            case .text(let text) where dialect == .liveReload:
                core.liveReloadReceived(text, from: self)
            case .text(let text):
                // The client's application-level heartbeat: {"type":"ping"}.
                if text.utf8.count < 64, text.contains("\"ping\"") { send(core.pongMessage) }
            case .binary:
                break
            case .ping(let payload):
                send(SharedBuffer(WebSocketFrameEncoder.pong(payload)))
            case .pong:
                pingSentAt = 0
            case .close(let code, _):
                // Echo the code (RFC 6455 §5.5.1), then close once it is written.
                let reply = code.map { CloseCode(rawValue: $0) } ?? nil
                sendClose(WebSocketFrameEncoder.close(code: reply))
                return
            }
        }
    }

    /// Sends a close frame (once) and lingers until the peer closes.
    func sendClose(_ frame: [UInt8]) {
        sendClose(SharedBuffer(frame))
    }

    func sendClose(_ frame: SharedBuffer) {
        guard !closeFrameSent, !tcp.isClosing else { return }
        closeFrameSent = true
        pending = nil
        tcp.write(frame)
        linger()
    }

    /// Sends a server ping (keepalive sweep).
    func ping(now: UInt64) {
        pingSentAt = now
        send(core.pingFrame)
    }

    /// Writes a frame now, or coalesces it into the one pending broadcast when output is queued.
    @discardableResult
    func send(_ frame: SharedBuffer) -> Bool {
        guard !tcp.isClosing else { return false }
        switch tcp.write(frame) {
        case .written:
            return true
        case .queued:
            if tcp.queuedBytes > core.configuration.maxQueuedBytes {
                core.logger.debug("dropping a client that does not read", metadata: ["connection.id": "\(id)"])
                tcp.close()
                return false
            }
            return true
        case .failed:
            return false
        }
    }

    /// Delivers a broadcast: at once when the socket is writable, else as the one pending reload.
    func deliver(_ broadcast: PendingBroadcast, frame: SharedBuffer) -> Bool {
        if tcp.queuedBytes == 0 {
            return send(frame)
        }
        pending = pending.map { $0.merged(with: broadcast) } ?? broadcast
        return true
    }
}

/// A broadcast a blocked client still owes: coalesced so a client never needs more than one.
enum PendingBroadcast: Equatable {
    /// Reload the page (epoch of the latest broadcast).
    case reload(epoch: Int)
    /// Swap one stylesheet.
    case css(epoch: Int, path: String)

    /// A stylesheet swap for `.css` paths, else a reload.
    init(epoch: Int, path: String?) {
        if let path, BrokerCore.isStylesheet(path) {
            self = .css(epoch: epoch, path: path)
        } else {
            self = .reload(epoch: epoch)
        }
    }

    var epoch: Int {
        switch self {
        case .reload(let epoch), .css(let epoch, _): epoch
        }
    }

    /// Two pending updates make one: the same stylesheet twice stays a swap, anything else a reload.
    func merged(with newer: PendingBroadcast) -> PendingBroadcast {
        // Loops deliver concurrently, so a later epoch can arrive first: keep the highest.
        let epoch = max(epoch, newer.epoch)
        if case .css(_, let old) = self, case .css(_, let new) = newer, old == new { return .css(epoch: epoch, path: new) }
        return .reload(epoch: epoch)
    }
}
