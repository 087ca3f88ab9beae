#if canImport(Glibc)
import Glibc
#endif
import HTTPCodec
import HTTPServer
import Logging
import Synchronization
import UVLoop

/// A reverse proxy in front of an app, on the broker's loop: every request outside the broker's
/// prefix is forwarded, HTML pages come back with the client injected, everything else passes
/// byte for byte. Optionally runs the app's dev command and restarts it on file changes, reloading
/// the pages only once the new process answers.
///
/// Use it as ``BrokerConfiguration/fallback``. One proxy per broker. Sendable because it only
/// keeps configuration and the app's exit status; its working state lives on the broker's loop
/// (created in `attach(to:)`) and is touched from that thread only.
public final class ReverseProxy: StreamingRequestHandler, BrokerAttachment, @unchecked Sendable {
    public let configuration: ProxyConfiguration
    private let exitStatus = PthreadLocked<SpawnedProcess.Exit?>(nil)
    private let latestStatus = PthreadLocked<AppStatus?>(nil)
    /// Loop-bound; set in `attach` (before the loop runs) and then used on the loop's thread only.
    private var state: ProxyState?

    public init(configuration: ProxyConfiguration) {
        self.configuration = configuration
    }

    /// How the app ended when it stopped the broker (``ProxyConfiguration/exitWithApp``).
    public var appExit: SpawnedProcess.Exit? { exitStatus.withLock { $0 } }

    func recordExit(_ exit: SpawnedProcess.Exit) { exitStatus.withLock { $0 = exit } }

    /// The app's command, state and last output (with ``ProxyConfiguration/command``; nil without).
    /// Safe from any thread: a snapshot taken at its latest change.
    public var appStatus: AppStatus? { latestStatus.withLock { $0 } }

    func publish(_ status: AppStatus?) { latestStatus.withLock { $0 = status } }

    public func handle(head: RequestHead, responder: HTTPResponder) -> (any RequestBodyReceiver)? {
        // Its state is bound to the loop it attached to: a request on another loop (a broker with
        // several loops) must not touch it.
        guard let state, state.loop === responder.loop else {
            responder.respond(BrokerCore.plain(.badGateway, "The proxy is not attached to this broker loop.\n"))
            return nil
        }
        // The app's own WebSockets (HMR, live data) get the broker's cross-site WebSocket hijacking
        // defence too: a page of a foreign origin cannot open one through the proxy.
        if head.headers.contains("Upgrade"), let origin = head.headers["Origin"],
            !state.core.policy.allowsOrigin(origin, requestHost: head.headers["Host"])
        {
            state.logger.info("refused a proxied WebSocket from a foreign Origin", metadata: ["origin": "\(origin)"])
            responder.refuse(
                .forbidden,
                detail: "Origin \"\(origin)\" is not allowed. Allow it with --allow-origin (allowedOrigins when embedding).")
            return nil
        }
        let exchange = ProxyExchange(proxy: state, request: head, responder: responder)
        exchange.start()
        return exchange
    }

    func attach(to core: BrokerCore) {
        guard state == nil else {
            core.logger.info("one proxy serves one broker loop; this loop proxies nothing")
            return
        }
        let state = ProxyState(configuration: configuration, core: core, owner: self)
        self.state = state
        state.begin()
    }

    func filesChanged(_ paths: [String]) -> FileChangeHandling {
        state?.filesChanged(paths) == true ? .handled : .broadcast
    }

    func stop() {
        state?.stop()
    }
}
