import Crypto
import FoundationEssentials
import HTTPCodec
import Logging
import HTTPServer
import Synchronization
import UVLoop
import WebSocketCodec

/// The broker's endpoints, under the configured prefix (default `/__reload`):
///
/// | endpoint | methods | answer |
/// |---|---|---|
/// | `/ws` | GET + Upgrade | WebSocket; a hello, then broadcasts |
/// | `/client.js` | GET, HEAD | the client script |
/// | `/health` | GET, HEAD | `{"status":"ok","version":…,"protocol":…,"instance":…,"epoch":…,"clients":…}` (and `"cluster":{…}` with one) |
/// | `/trigger` | POST | broadcast; optional `{"path":"…"}` body or `?path=`; answers how many clients it reached |
/// | `/app` | GET, HEAD | the proxied app's command, state and last output (``AppStatus``; 404 without `--exec`) |
///
/// Everything else goes to the configured fallback handler, or the demo page.
extension BrokerCore {
    /// Who answers a request, decided at its head: the Host check first (the DNS-rebinding
    /// defence, for every request), then the broker's own endpoints, then the proxy or the fallback.
    func route(_ head: RequestHead) -> HTTPRoute {
        guard policy.allowsHost(head.headers["Host"]) else {
            let host = head.headers["Host"] ?? ""
            logger.info("refused a request for a foreign Host", metadata: ["host": "\(host)", "defence": "DNS rebinding"])
            return .refuse(
                .forbidden,
                detail: "Host \"\(host)\" is not allowed. Allow it with --allow-host (allowedHosts when embedding).")
        }
        let path = head.path
        let prefix = configuration.prefix
        if path == prefix || path.hasPrefix(prefix + "/") || liveReloadEndpoint(for: path) != nil { return .router }
        if let proxy = configuration.proxy { return .stream(proxy) }
        if let fallback = configuration.fallback { return .handler(fallback) }
        return .router
    }

    /// The broker's own requests (and, with no fallback, the demo page or a 404).
    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let head = request.head
        let prefix = configuration.prefix
        let path = head.path
        if let endpoint = liveReloadEndpoint(for: path) {
            routeLiveReload(endpoint, request, responder: responder)
            return
        }
        guard path == prefix || path.hasPrefix(prefix + "/") else {
            if configuration.servesDemoPage {
                DemoPage.handle(request, responder: responder, core: self)
            } else {
                responder.respond(Self.plain(.notFound, "Not found. The broker lives under \(prefix)/.\n"))
            }
            return
        }
        switch path.dropFirst(prefix.count) {
        case "/ws":
            upgrade(request, responder: responder)
        case "/client.js":
            serveClientScript(responder)
        case "/health":
            guard allowMethods(["GET", "HEAD"], responder) else { return }
            var body = #"{"status":"ok","version":"\#(BrokerVersion.current)","protocol":\#(Messages.protocolVersion),"instance":"\#(shared.instanceID)","epoch":\#(shared.currentEpoch),"clients":\#(shared.clients.load(ordering: .relaxed))"#
            if let cluster = shared.clusterStatus?.withLock({ $0.json }) { body += #","cluster":"# + cluster }
            responder.respond(Self.json(.ok, body + "}\n"))
        case "/trigger":
            trigger(request, responder: responder)
        case "/app":
            appStatus(request, responder: responder)
        default:
            responder.respond(Self.plain(.notFound, "Unknown broker endpoint \(path).\n"))
        }
    }

    /// The client script (`<prefix>/client.js`, and `/livereload.js`, where it runs in its LiveReload mode).
    ///
    /// Revalidated on every use (`no-cache` with a strong `ETag` of its bytes): a reloading page and
    /// its SharedWorker get a `304` instead of the whole script, and a new broker binary's script is
    /// never missed.
    func serveClientScript(_ responder: HTTPResponder) {
        guard allowMethods(["GET", "HEAD"], responder) else { return }
        let unchanged = responder.request.headers["If-None-Match"].map { ClientScript.matches(ifNoneMatch: $0) } ?? false
        var response = ResponseHead(status: unchanged ? .notModified : .ok)
        response.headers.add("Content-Type", "text/javascript; charset=utf-8")
        response.headers.add("Cache-Control", "no-cache")
        response.headers.add("ETag", ClientScript.etag)
        response.headers.add("X-Content-Type-Options", "nosniff")
        responder.respond(response, body: unchanged ? [] : ClientScript.bytes)
    }

    func allowMethods(_ methods: [String], _ responder: HTTPResponder) -> Bool {
        if methods.contains(responder.request.method) { return true }
        var response = Self.plain(.methodNotAllowed, "Use \(methods.joined(separator: " or ")).\n")
        response.head.headers.add("Allow", methods.joined(separator: ", "))
        responder.respond(response)
        return false
    }

    /// Upgrades to a WebSocket of `dialect`: the Origin check (LiveReload sockets also take the
    /// browser extensions' origins), the client limit, the handshake, then the dialect's hello.
    func upgrade(_ request: HTTPRequest, responder: HTTPResponder, dialect: SocketDialect = .broker) {
        let head = request.head
        guard allowMethods(["GET"], responder) else { return }
        guard WebSocketHandshake.isUpgradeRequest(head) else {
            var response = Self.plain(.upgradeRequired, "This endpoint speaks WebSocket only.\n")
            response.head.headers.add("Upgrade", "websocket")
            response.head.headers.add("Connection", "Upgrade")
            responder.respond(response)
            return
        }
        if let origin = head.headers["Origin"], !policy.allowsOrigin(origin, requestHost: head.headers["Host"]),
            dialect == .broker || !AccessPolicy.isBrowserExtensionOrigin(origin)
        {
            logger.info("refused a WebSocket from a foreign Origin", metadata: ["origin": "\(origin)"])
            responder.refuse(
                .forbidden,
                detail: "Origin \"\(origin)\" is not allowed. Allow it with --allow-origin (allowedOrigins when embedding).")
            return
        }
        guard !isStopping else {
            responder.refuse(.serviceUnavailable, detail: "The broker is stopping.")
            return
        }
        guard shared.clients.load(ordering: .relaxed) < maxClients else {
            logger.info("refused a WebSocket: the client limit is reached", metadata: ["limit": "\(maxClients)"])
            responder.refuse(
                .serviceUnavailable, detail: "Too many clients (\(maxClients)).", headers: ["Retry-After": "5"])
            return
        }
        switch WebSocketHandshake.evaluate(head) {
        case .upgrade(let response):
            let client = adopt(responder.upgrade(response), dialect: dialect)
            let hello = switch dialect {
            case .broker: Messages.hello(instance: shared.instanceID, epoch: shared.currentEpoch)
            case .liveReload: LiveReloadMessages.hello()
            }
            client.send(SharedBuffer(WebSocketFrameEncoder.text(hello)))
            client.processBuffered()  // frames that came with the upgrade request
        case .reject(let response, let reason):
            logger.debug("refused a WebSocket handshake", metadata: ["reason": "\(reason)"])
            var response = response
            response.headers.replaceOrAdd("Connection", "close")
            responder.respond(response, body: Array((reason + "\n").utf8))
        }
    }

    /// The waiting page's live view of the app. Same-origin reads only: no CORS headers (a page of
    /// another origin cannot read it), the Host check above (no DNS rebinding), and requests a
    /// browser marks cross-site are refused outright.
    private func appStatus(_ request: HTTPRequest, responder: HTTPResponder) {
        guard allowMethods(["GET", "HEAD"], responder) else { return }
        if request.head.headers["Sec-Fetch-Site"]?.equalsIgnoringASCIICase("cross-site") == true {
            responder.respond(Self.plain(.forbidden, "Cross-site requests may not read the app's output.\n"))
            return
        }
        guard let status = configuration.proxy?.appStatus else {
            responder.respond(Self.plain(.notFound, "No app command runs here (proxy --exec runs one).\n"))
            return
        }
        let tag = status.tag
        if request.head.headers["If-None-Match"] == tag {
            var head = ResponseHead(status: .notModified)
            head.headers.add("ETag", tag)
            head.headers.add("Cache-Control", "no-store")
            responder.respond(head, body: [])
            return
        }
        var response = Self.json(.ok, status.json + "\n")
        response.head.headers.add("ETag", tag)
        response.head.headers.add("X-Content-Type-Options", "nosniff")
        responder.respond(response)
    }

    private func trigger(_ request: HTTPRequest, responder: HTTPResponder) {
        let head = request.head
        guard allowMethods(["POST"], responder) else { return }
        if let refusal = triggerRefusal(head) {
            responder.respond(refusal)
            return
        }
        var path = Self.queryValue("path", in: head.query)
        // Only JSON (or no body at all): form and text/plain bodies are what cross-site HTML forms send.
        if let type = head.headers["Content-Type"]?.asciiLowercased(), !type.hasPrefix("application/json") {
            responder.respond(Self.plain(.init(code: 415), "Send a JSON body: {\"path\": \"styles/site.css\"}.\n"))
            return
        }
        if !request.body.isEmpty {
            struct Body: Decodable {
                var path: String?
                var paths: [String]?
            }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body)) else {
                responder.respond(Self.plain(.badRequest, "The body is not valid JSON: expected {\"path\": \"…\"}.\n"))
                return
            }
            if let paths = body.paths, !paths.isEmpty {
                let reached = broadcast(changes: paths)
                responder.respond(Self.json(.ok, #"{"ok":true,"epoch":\#(shared.currentEpoch),"clients":\#(reached)}"# + "\n"))
                return
            }
            path = body.path ?? path
        }
        let reached = broadcast(path: path)
        let body = #"{"ok":true,"epoch":\#(shared.currentEpoch),"clients":\#(reached)}"#
        responder.respond(Self.json(.ok, body + "\n"))
    }

    /// Why a trigger (`/trigger`, LiveReload's `/changed` and `/alert`) is refused, or nil.
    ///
    /// A web page must not be able to trigger: browsers send Origin on cross-site POSTs
    /// (also simple-form text/plain ones); Sec-Fetch-Site covers the rest (a cross-site
    /// `<img src=…/changed>` is a GET without Origin). Then the token, when configured.
    func triggerRefusal(_ head: RequestHead) -> Response? {
        if let origin = head.headers["Origin"] {
            guard policy.allowsOrigin(origin, requestHost: head.headers["Host"]) else {
                logger.info("refused a trigger from a foreign Origin", metadata: ["origin": "\(origin)", "path": "\(head.path)"])
                return Self.plain(.forbidden, "Origin \"\(origin)\" may not trigger reloads.\n")
            }
        } else if head.headers["Sec-Fetch-Site"]?.equalsIgnoringASCIICase("cross-site") == true {
            return Self.plain(.forbidden, "Cross-site requests may not trigger reloads.\n")
        }
        if let token = configuration.token, !Self.carriesToken(token, head) {
            var response = Self.plain(.unauthorized, "This broker needs its token (Authorization: Bearer TOKEN).\n")
            response.head.headers.add("WWW-Authenticate", #"Bearer realm="reload-broker""#)
            return response
        }
        return nil
    }

    // MARK: Helpers

    static func carriesToken(_ token: String, _ head: RequestHead) -> Bool {
        var offered: [String] = []
        if let authorization = head.headers["Authorization"], authorization.hasPrefixIgnoringASCIICase("bearer ") {
            offered.append(String(authorization.dropFirst(7).drop { $0 == " " }))
        }
        if let header = head.headers["X-Reload-Token"] { offered.append(header) }
        if let query = queryValue("token", in: head.query) { offered.append(query) }
        return offered.contains { constantTimeEqual($0, token) }
    }

    /// Compares the SHA-256 digests of both strings with swift-crypto's constant-time digest
    /// equality: timing reveals neither how much of a guess was right nor the token's length
    /// (a plain byte loop must exit early on a length mismatch).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        SHA256.hash(data: Array(a.utf8)) == SHA256.hash(data: Array(b.utf8))
    }

    /// A query parameter's value, percent-decoded (`+` as space); nil when absent.
    static func queryValue(_ name: String, in query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first.map({ PercentEncoding.decodeFormValue($0) }) == name {
                return parts.count > 1 ? PercentEncoding.decodeFormValue(parts[1]) : ""
            }
        }
        return nil
    }

    struct Response {
        var head: ResponseHead
        var body: [UInt8]
    }

    static func plain(_ status: HTTPStatus, _ text: String) -> Response {
        var head = ResponseHead(status: status)
        head.headers.add("Content-Type", "text/plain; charset=utf-8")
        head.headers.add("Cache-Control", "no-store")
        return Response(head: head, body: Array(text.utf8))
    }

    static func json(_ status: HTTPStatus, _ text: String) -> Response {
        var head = ResponseHead(status: status)
        head.headers.add("Content-Type", "application/json")
        head.headers.add("Cache-Control", "no-store")
        return Response(head: head, body: Array(text.utf8))
    }
}

extension HTTPResponder {
    func respond(_ response: BrokerCore.Response) {
        respond(response.head, body: response.body)
    }
}
