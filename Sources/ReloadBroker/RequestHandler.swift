import HTMLInjection
import HTTPCodec
import UVLoop

/// Answers requests outside the broker's prefix: static files, a proxied app, a demo.
///
/// Called on the broker's loop thread, one request at a time per connection.
/// Respond through the ``HTTPResponder``, now or later; HTML responses get the
/// client script injected on the way out.
public protocol RequestHandler: Sendable {
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}

/// A handler that takes requests as they arrive, head first, the body streamed (the proxy).
///
/// When the configured fallback conforms, requests outside the broker's prefix reach
/// ``handle(head:responder:)`` as soon as their head is parsed; the body follows through the
/// returned receiver, piece by piece, with backpressure. ``RequestHandler/handle(_:responder:)``
/// is then never called.
public protocol StreamingRequestHandler: RequestHandler {
    /// A request head; returns who takes its body (nil: any body is discarded).
    func handle(head: RequestHead, responder: HTTPResponder) -> (any RequestBodyReceiver)?
}

/// Takes a streamed request body. Loop-bound.
public protocol RequestBodyReceiver: AnyObject {
    /// A piece of the decoded body. Return false to stop reading from the client until
    /// ``HTTPResponder/resumeReading()``.
    func receive(_ bytes: [UInt8]) -> Bool
    /// The body is complete.
    func end()
}

/// Takes the client's bytes after ``HTTPResponder/switchProtocols(_:receiver:)``. Loop-bound.
public protocol TunnelReceiver: AnyObject {
    /// Bytes from the client, as they arrive.
    func tunnelReceive(_ bytes: [UInt8])
    /// The client shut down its sending side.
    func tunnelEnded()
}

/// The way back to the client for one request. Loop-bound: use it only on the broker's loop thread.
///
/// Either ``respond(_:body:)`` once, or ``start(_:)``, any number of
/// ``write(_:)``, then ``finish()``. HTML pages get the client `<script>` through the
/// streaming `HTMLInjector` (headers rewritten: no `Content-Length`, the body is sent chunked
/// to HTTP/1.1 clients and close-delimited to HTTP/1.0 ones).
public final class HTTPResponder {
    /// The request being answered.
    public let request: RequestHead
    /// The loop the connection lives on (for handlers that do I/O of their own).
    public var loop: EventLoop { connection.tcp.loop }
    /// Called when queued output has drained after ``write(_:)`` returned false.
    public var onWritable: (() -> Void)?

    let connection: ClientConnection
    private var injector: HTMLInjector?
    private var chunked = false
    private var closeAfter = false
    private var bodyAllowed = true
    private var state: State = .idle

    /// Called when the client's connection closes before the response is complete (or while tunnelling).
    public var onClose: (() -> Void)?

    private enum State { case idle, streaming, tunnel, done }

    init(request: RequestHead, connection: ClientConnection) {
        self.request = request
        self.connection = connection
    }

    /// Whether the client is still connected.
    public var isConnected: Bool { !connection.tcp.isClosing }

    /// Sends a whole response.
    public func respond(_ head: ResponseHead, body: [UInt8]) {
        guard state == .idle else { return }
        var head = head
        var body = body
        // HEAD answers with the length GET would send, injected script included.
        var asGet = request
        if request.method == "HEAD" { asGet.method = "GET" }
        if connection.core.shouldInject(request: asGet, response: head) {
            InjectionDecision.rewriteHeaders(&head.headers)
            body = HTMLInjector.inject(connection.core.snippet(), into: body)
        }
        head.headers.remove("Transfer-Encoding")
        if head.status.code != 304, head.status.code != 204 {
            head.headers.replaceOrAdd("Content-Length", String(body.count))
        }
        let keepAlive = prepare(&head, streaming: false)
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
        if connection.core.shouldInject(request: request, response: head) {
            InjectionDecision.rewriteHeaders(&head.headers)
            injector = HTMLInjector(snippet: connection.core.snippet())
        }
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
        closeAfter = !prepare(&head, streaming: true)
        state = .streaming
        connection.streamingResponder = self
        connection.tcp.write(head.serialized())
    }

    /// Sends part of a streamed body. Returns false when the client is slow:
    /// wait for ``onWritable`` before writing more.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        if state == .tunnel {
            connection.tcp.write(bytes)
            return connection.tcp.queuedBytes < connection.core.configuration.maxQueuedBytes
        }
        guard state == .streaming, bodyAllowed else { return true }
        let output = injector != nil ? injector!.feed(bytes) : bytes
        send(output)
        return connection.tcp.queuedBytes < connection.core.configuration.maxQueuedBytes
    }

    /// Ends a streamed body.
    public func finish() {
        guard state == .streaming else { return }
        if bodyAllowed {
            if injector != nil { send(injector!.finish()) }
            if chunked { connection.tcp.write(Array("0\r\n\r\n".utf8)) }
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

    /// Sends an interim `100 Continue` (the app agreed to take the body the client is holding back).
    public func sendContinue() {
        guard state == .idle, request.version == .http1_1 else { return }
        connection.tcp.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }

    /// Resumes reading the client after a ``RequestBodyReceiver`` or a tunnel asked to pause.
    public func resumeReading() {
        connection.resumeReading()
    }

    /// Stops reading the client (a tunnel whose other side is slow).
    public func pauseReading() {
        connection.tcp.stopReading()
    }

    /// Writes `head` (a `101 Switching Protocols` from the app) as is and turns the connection
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
        if chunked {
            var framed = Array(String(bytes.count, radix: 16).utf8)
            framed += [13, 10]
            framed += bytes
            framed += [13, 10]
            connection.tcp.write(framed)
        } else {
            connection.tcp.write(bytes)
        }
    }

    /// Sets `Connection` for the response; returns whether the connection stays open.
    private func prepare(_ head: inout ResponseHead, streaming: Bool) -> Bool {
        let keepAlive = request.keepAlive && !connection.core.isStopping
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
