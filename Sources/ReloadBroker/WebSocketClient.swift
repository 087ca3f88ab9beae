import HTTPCodec
import HTTPServer
import Logging
import UVLoop
import WebSocketCodec

/// One WebSocket client of the broker, on a connection the HTTP server handed over at the upgrade.
///
/// Loop-bound. Kept small on purpose (thousands live at once): no read buffer (reads land in the
/// loop's shared buffer; the parser keeps only partial input), no timer (the core's sweep checks
/// the heartbeat, write stalls and the linger deadline).
final class WebSocketClient: TCPConnectionDelegate {
    enum Mode: Equatable {
        /// In the core's broadcast list.
        case open
        /// Close frame sent: discarding input until EOF or the linger's end.
        case closing(Linger)
    }

    /// What the sweep does with a client.
    enum SweepAction: Equatable {
        case keep
        /// Silent for the ping interval: ping it.
        case ping
        /// Gone quiet, stuck or past its linger: close it.
        case close(reason: String)
    }

    let tcp: TCPConnection
    unowned let core: BrokerCore
    let id: UInt64
    private(set) var mode = Mode.open
    /// The protocol this client speaks (picks its broadcast frame).
    let dialect: SocketDialect
    /// A LiveReload client's page URL, from its `info` (tiny-lr's `/changed` lists it).
    var liveReloadURL: String?
    /// Index in `core.clients`.
    var clientIndex = -1
    /// Index in `core.sockets` while open.
    var socketIndex = -1

    private var parser: WebSocketParser
    private var inputEnded = false
    private var closeFrameSent = false
    /// When it was last heard from, and whether our ping is outstanding.
    private var heartbeat: Heartbeat
    private var writeProgress = WriteProgress()
    /// The latest broadcast that could not be written because earlier output was still queued.
    var pending: PendingBroadcast?

    init(_ upgraded: UpgradedConnection, core: BrokerCore, dialect: SocketDialect) {
        self.tcp = upgraded.tcp
        self.core = core
        self.id = upgraded.id
        self.dialect = dialect
        self.parser = WebSocketParser(role: .server, maxMessageBytes: core.configuration.maxMessageBytes)
        self.heartbeat = Heartbeat(now: core.loop.now)
        tcp.delegate = self
        tcp.startReading()
        if !upgraded.bufferedBytes.isEmpty {
            parser.append(upgraded.bufferedBytes)
        }
    }

    /// Handles what arrived with the upgrade request (call once registered).
    func processBuffered() {
        processFrames()
    }

    // MARK: Reading

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        guard mode == .open else { return }  // closing: discarded, we only wait for the peer to go away
        heartbeat.heard(at: core.loop.now)
        parser.append(bytes)
        processFrames()
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) {
        inputEnded = true
        switch mode {
        case .open: tcp.close()
        case .closing(let linger): linger.inputEnded(tcp)  // our close frame first
        }
    }

    func connectionDidDrain(_ connection: TCPConnection) {
        writeProgress.drained()
        if case .closing(var linger) = mode {
            linger.outputDrained(tcp, inputEnded: inputEnded, now: core.loop.now, duration: core.timeouts.linger)
            mode = .closing(linger)
            return  // nothing is sent after the close frame
        }
        if let pending {
            self.pending = nil
            send(core.frame(for: pending, dialect: dialect))
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        if let error, !error.isEndOfFile {
            core.logger.debug("websocket closed", metadata: ["connection.id": "\(id)", "error": "\(error)"])
        }
        core.remove(self)
    }

    private func processFrames() {
        while mode == .open {
            let event: WebSocketEvent
            do throws(WebSocketProtocolError) {
                guard let next = try parser.next() else { return }
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
                heartbeat.ponged()
            case .close(let code, _):
                // Echo the code (RFC 6455 §5.5.1), then close once it is written.
                let reply = code.map { CloseCode(rawValue: $0) } ?? nil
                sendClose(WebSocketFrameEncoder.close(code: reply))
                return
            }
        }
    }

    // MARK: Writing

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

    /// Half-closes after the close frame and discards input until EOF or the linger deadline.
    private func linger() {
        guard mode == .open else { return }
        core.unregisterSocket(self)
        mode = .closing(Linger(starting: tcp, inputEnded: inputEnded, now: core.loop.now, duration: core.timeouts.linger))
    }

    /// Writes a frame now, or drops a client whose queue is over the limit.
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

    // MARK: Sweep

    /// The sweep's look at this client at `now` (pure but for the write counters it reads). The
    /// core passes its timeouts in: thousands of clients are looked at per sweep.
    ///
    /// Most clients have nothing queued and nothing due: for them this reads the queue size, the
    /// mode and the heartbeat, and writes nothing. (An empty queue needs no write check: the drain
    /// that emptied it already reset ``WriteProgress``.)
    func sweep(now: UInt64, timeouts: BrokerCore.Timeouts) -> SweepAction {
        let queuedBytes = tcp.queuedBytes
        if queuedBytes > 0,
            writeProgress.check(
                queuedBytes: queuedBytes, completedWrites: tcp.completedWrites, now: now, timeout: timeouts.write)
                == .stalled
        {
            return .close(reason: "writes stay blocked")
        }
        switch mode {
        case .closing(let linger):
            // Not over while the close frame is queued: the linger starts once it is out.
            return linger.isOver(at: now) ? .close(reason: "linger over") : .keep
        case .open:
            switch heartbeat.check(now: now, pingInterval: timeouts.ping, pongTimeout: timeouts.pong) {
            case .alive: return .keep
            case .ping: return .ping
            case .dead: return .close(reason: "stopped answering pings")
            }
        }
    }

    /// Sends a server ping (the sweep found the client silent).
    func ping(now: UInt64) {
        heartbeat.pinged(at: now)
        send(core.pingFrame)
    }
}
