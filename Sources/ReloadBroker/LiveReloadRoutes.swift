import HTTPCodec
import Logging
import HTTPServer
import Synchronization
import UVLoop
import WebSocketCodec

/// The LiveReload protocol 7 endpoints and tiny-lr's HTTP API (see ``LiveReloadConfiguration``).
///
/// The Host check has already passed. Triggers (`/changed`, `/alert`) take the same Origin,
/// Sec-Fetch-Site and token checks as `<prefix>/trigger`; the socket takes the Origin check of
/// `<prefix>/ws`, and also the browser extensions' own origins.
extension BrokerCore {
    func liveReloadEndpoint(for path: String) -> LiveReloadEndpoint? {
        LiveReloadEndpoint(path: path, configuration: configuration)
    }

    func routeLiveReload(
        _ endpoint: LiveReloadEndpoint, _ request: HTTPRequest, responder: HTTPResponder
    ) {
        switch endpoint {
        case .socket:
            upgrade(request, responder: responder, dialect: .liveReload)
        case .script:
            serveClientScript(responder)
        case .welcome:
            guard allowMethods(["GET", "HEAD"], responder) else { return }
            let body = #"{"tinylr":"Welcome","version":"\#(LiveReloadMessages.serverName) \#(Messages.protocolVersion)"}"#
            responder.respond(Self.json(.ok, body + "\n"))
        case .changed:
            guard let arguments = tinyLRArguments(request, responder) else { return }
            let files = arguments.files.map(urlPath(forChangedFile:))
            logger.info("tiny-lr /changed", metadata: ["files": "\(files.prefix(8).joined(separator: ", "))"])
            let reached = broadcast(changes: files)
            let list = files.map { "\"\(Messages.jsonEscaped($0))\"" }.joined(separator: ",")
            respondTinyLR(responder, clients: reached, extra: #""files":[\#(list)]"#)
        case .alert:
            guard let arguments = tinyLRArguments(request, responder) else { return }
            guard let message = arguments.message, !message.isEmpty else {
                responder.respond(Self.plain(.badRequest, #"Send a message: {"message":"Build failed"} or ?message=…"# + "\n"))
                return
            }
            let reached = broadcastAlert(message)
            respondTinyLR(responder, clients: reached, extra: #""message":"\#(Messages.jsonEscaped(message))""#)
        }
    }

    /// The checks and arguments of a tiny-lr trigger; nil when it was answered (refused or malformed).
    private func tinyLRArguments(_ request: HTTPRequest, _ responder: HTTPResponder) -> TinyLRRequest? {
        guard allowMethods(["GET", "POST"], responder) else { return nil }
        if let refusal = triggerRefusal(request.head) {
            responder.respond(refusal)
            return nil
        }
        switch TinyLRRequest.parse(query: request.head.query, contentType: request.head.headers["Content-Type"], body: request.body) {
        case .parsed(let arguments):
            return arguments
        case .invalid(let reason):
            responder.respond(Self.plain(.badRequest, reason + "\n"))
            return nil
        }
    }

    /// tiny-lr's answer: `{"clients":[{"id":…,"url":…}],…}` listing this loop's clients (at most
    /// 1000), plus `reached`, how many clients the broadcast reached on every loop.
    private func respondTinyLR(_ responder: HTTPResponder, clients reached: Int, extra: String) {
        var list: [String] = []
        for socket in sockets.prefix(1000) {
            let url = socket.liveReloadURL.map { #","url":"\#(Messages.jsonEscaped($0))""# } ?? ""
            list.append(#"{"id":"\#(socket.id)"\#(url)}"#)
        }
        let body = #"{"clients":[\#(list.joined(separator: ","))],\#(extra),"reached":\#(reached)}"#
        responder.respond(Self.json(.ok, body + "\n"))
    }

    /// A changed file's URL path: a path inside the served folder is made relative to it;
    /// anything else (a URL path, a name) is sent as given (clients match trailing segments).
    func urlPath(forChangedFile file: String) -> String {
        if let root = configuration.watch?.servedRoot.map(FileWatcher.trimmed), file.hasPrefix(root + "/") {
            return String(file.dropFirst(root.count))
        }
        return file
    }

    /// Shows `message` in every LiveReload client of every loop (it is not a reload: no epoch,
    /// nothing pending for a blocked client). Encoded once per loop.
    @discardableResult
    func broadcastAlert(_ message: String) -> Int {
        let text = LiveReloadMessages.alert(message: message)
        logger.info("alert to LiveReload clients", metadata: ["message": "\(message.prefix(120))"])
        guard let group, group.members.count > 1 else { return deliverAlert(text) }
        for member in group.members {
            let core = member.core
            member.executor.execute { core.value.deliverAlert(text) }
        }
        return shared.clients.load(ordering: .relaxed)
    }

    @discardableResult
    func deliverAlert(_ text: String) -> Int {
        let frame = SharedBuffer(WebSocketFrameEncoder.text(text))
        var reached = 0
        for socket in sockets where socket.dialect == .liveReload && socket.send(frame) {
            reached += 1
        }
        return reached
    }

    /// A text frame from a LiveReload client.
    func liveReloadReceived(_ text: String, from connection: WebSocketClient) {
        let metadata: Logger.Metadata = ["connection.id": "\(connection.id)"]
        switch LiveReloadClientMessage.parse(text) {
        case .hello(.protocol7):
            logger.debug("LiveReload client said hello", metadata: metadata)
        case .hello(.connectionCheck):
            logger.debug("LiveReload extension probe", metadata: metadata)
        case .hello(.unsupported):
            logger.debug("LiveReload hello without a protocol we speak", metadata: metadata)
            connection.sendClose(WebSocketFrameEncoder.close(code: .protocolError, reason: "no supported LiveReload protocol"))
        case .info(let url):
            connection.liveReloadURL = url.map { String($0.prefix(2048)) }
        case .ping:
            connection.send(liveReloadPong)
        case .unknown, .invalid:
            logger.debug("ignored a LiveReload message", metadata: metadata)
        }
    }
}
