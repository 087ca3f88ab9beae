import HTTPCodec
import UVLoop

/// The way back to the client for one request. Loop-bound: use it only on the server's loop thread.
///
/// Either ``respond(_:body:)`` once, or ``start(_:)``, any number of ``write(_:)``, then
/// ``finish()``; or ``upgrade(_:)`` / ``switchProtocols(_:receiver:)`` for a `101`. The server's
/// ``ResponseFilter`` sees every head (a filtered streamed body loses its `Content-Length` and is
/// sent chunked to HTTP/1.1 clients, close-delimited to HTTP/1.0 ones).
public final class HTTPResponder {
    /// The request being answered.
    public let request: RequestHead
    /// The loop the connection lives on (for handlers that do I/O of their own).
    public var loop: EventLoop { connection.tcp.loop }
    /// Called when queued output has drained after ``write(_:)`` returned false.
    public var onWritable: (() -> Void)?
    /// Called when the client's connection closes before the response is complete (or while tunnelling).
    public var onClose: (() -> Void)?

    let connection: HTTPServerConnection
    private var bodyFilter: (any ResponseBodyFilter)?
    private var chunked = false
    private var closeAfter = false
    private var bodyAllowed = true
    private var state: State = .idle

    private enum State { case idle, streaming, tunnel, done }

    init(request: RequestHead, connection: HTTPServerConnection) {
        self.request = request
        self.connection = connection
    }

    /// Whether the client is still connected.
    public var isConnected: Bool { !connection.tcp.isClosing }

    /// The client's address (`127.0.0.1:51234`), when known.
    public var peerAddress: String? { connection.tcp.peerAddress }

    /// Sends a whole response.
    public func respond(_ head: ResponseHead, body: [UInt8]) {
        guard state == .idle else { return }
        var head = head
        var body = body
        // HEAD answers with the headers and length GET would get, filter included.
        var asGet = request
        if request.method == "HEAD" { asGet.method = "GET" }
        if var filter = connection.server.responseFilter?.filter(request: asGet, response: &head) {
            body = filter.feed(body) + filter.finish()
        }
        head.headers.remove("Transfer-Encoding")
        if head.status.code != 304, head.status.code != 204 {
            head.headers.replaceOrAdd("Content-Length", String(body.count))
        }
        let keepAlive = prepare(&head)
        var bytes = head.serialized()
        if request.method != "HEAD", head.status.code != 304, head.status.code != 204 { bytes += body }
        state = .done
        onClose = nil
        connection.tcp.write(bytes)
        connection.responseFinished(keepAlive: keepAlive)
    }

    /// Starts a streamed response; the body follows through ``write(_:)``.
    public func start(_ head: ResponseHead) {
        guard state == .idle else { return }
        var head = head
        bodyFilter = connection.server.responseFilter?.filter(request: request, response: &head)
        bodyAllowed = request.method != "HEAD" && head.status.code != 304 && head.status.code != 204
            && head.status.code >= 200
        if bodyAllowed, !head.headers.contains("Content-Length") {
            if request.version == .http1_1 {
                head.headers.replaceOrAdd("Transfer-Encoding", "chunked")
                chunked = true
            } else {
                head.headers.remove("Transfer-Encoding")
                closeAfter = true
            }
        }
        if closeAfter { head.headers.replaceOrAdd("Connection", "close") }
        closeAfter = !prepare(&head)
        state = .streaming
        connection.streamingResponder = self
        connection.tcp.write(head.serialized())
    }

    /// Sends part of a streamed body (or, tunnelling, raw bytes). Returns false when the client is
    /// slow: wait for ``onWritable`` before writing more.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        if state == .tunnel {
            connection.tcp.write(bytes)
            return connection.tcp.queuedBytes < connection.server.configuration.maxQueuedBytes
        }
        guard state == .streaming, bodyAllowed else { return true }
        let output = bodyFilter != nil ? bodyFilter!.feed(bytes) : bytes
        send(output)
        return connection.tcp.queuedBytes < connection.server.configuration.maxQueuedBytes
    }

    /// Ends a streamed body.
    public func finish() {
        guard state == .streaming else { return }
        if bodyAllowed {
            if bodyFilter != nil { send(bodyFilter!.finish()) }
            if chunked { connection.tcp.write(HTTPChunkedWriter.lastChunk) }
        }
        state = .done
        connection.streamingResponder = nil
        onWritable = nil
        onClose = nil
        connection.responseFinished(keepAlive: !closeAfter)
    }

    /// Abandons the response and closes the connection (e.g. the upstream failed mid-body).
    public func abort() {
        state = .done
        onWritable = nil
        onClose = nil
        connection.streamingResponder = nil
        connection.tcp.close()
    }

    /// Answers with an error page (`detail` in its plain-text body) and closes the connection once
    /// the client has had the time to read it.
    public func refuse(_ status: HTTPStatus, detail: String? = nil, headers: HTTPHeaders = [:]) {
        guard state == .idle else { return }
        state = .done
        onWritable = nil
        onClose = nil
        connection.fail(status: status, detail: detail, headers: headers)
    }

    /// Sends an interim `100 Continue` (the handler agreed to take the body the client is holding back).
    public func sendContinue() {
        guard state == .idle, request.version == .http1_1 else { return }
        connection.tcp.write(ResponseHead(status: HTTPStatus(code: 100)).serialized())
    }

    /// Resumes reading the client after a ``RequestBodyReceiver`` or a tunnel asked to pause.
    public func resumeReading() {
        connection.resumeReading()
    }

    /// Stops reading the client (a tunnel whose other side is slow).
    public func pauseReading() {
        connection.tcp.stopReading()
    }

    /// Writes `head` (a `101 Switching Protocols`) and hands the connection over: the server
    /// forgets it (no deadlines, no keep-alive, no filter). The new owner sets itself as the TCP
    /// delegate and starts reading.
    public func upgrade(_ head: ResponseHead) -> UpgradedConnection {
        precondition(state == .idle, "upgrade(_:) after a response was started")
        state = .done
        onWritable = nil
        onClose = nil
        connection.tcp.write(head.serialized())
        return connection.handOver()
    }

    /// Writes `head` (a `101 Switching Protocols` from an upstream) as is and turns the connection
    /// into a byte tunnel: the client's bytes go to `receiver`, ``write(_:)`` sends raw bytes.
    /// Returns bytes the client already sent after its request (they belong to the tunnel).
    public func switchProtocols(_ head: ResponseHead, receiver: any TunnelReceiver) -> [UInt8] {
        guard state == .idle else { return [] }
        state = .tunnel
        connection.streamingResponder = self
        connection.tcp.write(head.serialized())
        return connection.startTunnel(receiver)
    }

    /// Half-closes the client's connection after queued output (the tunnel's other side ended).
    public func shutdownTunnel() {
        guard state == .tunnel else { return }
        connection.tcp.shutdown()
    }

    func clientClosed() {
        let callback = onClose
        onClose = nil
        onWritable = nil
        if state != .done {
            state = .done
            callback?()
        }
    }

    private func send(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        connection.tcp.write(chunked ? HTTPChunkedWriter.chunk(bytes) : bytes)
    }

    /// Sets `Connection` for the response; returns whether the connection stays open.
    private func prepare(_ head: inout ResponseHead) -> Bool {
        let keepAlive = request.keepAlive && !connection.server.isStopping
            && !head.headers.containsToken("close", in: "Connection") && !connection.requestStillArriving
        head.headers.remove("Connection")
        head.headers.remove("Keep-Alive")
        if !keepAlive {
            head.headers.add("Connection", "close")
        } else if request.version == .http1_0 {
            head.headers.add("Connection", "keep-alive")
        }
        return keepAlive
    }
}
