import HTMLInjection
import HTTPCodec
import HTTPServer

/// The broker's response filter: pages (``ReloadInjectionFilter``'s rules) get the client's
/// `<script>` tag at the epoch of the moment they are answered; everything else passes untouched.
final class BrokerInjection: ResponseFilter {
    private let prefix: String
    private let shared: BrokerSharedState

    init(prefix: String, shared: BrokerSharedState) {
        self.prefix = prefix
        self.shared = shared
    }

    /// The `<script>` tag pages get, at the current epoch.
    var snippet: String {
        Messages.scriptTag(prefix: prefix, instance: shared.instanceID, epoch: shared.currentEpoch)
    }

    func filter(request: RequestHead, response: inout ResponseHead) -> (any ResponseBodyFilter)? {
        let filter = ReloadInjectionFilter(snippet: snippet)
        switch filter.decide(
            method: request.method, requestHeader: { request.headers[$0] }, status: response.status.code,
            responseHeaders: &response.headers)
        {
        case .passThrough: return nil
        case .inject(let injector): return InjectingBody(injector: injector)
        }
    }

    /// Whether a response would be injected (the proxy decompresses only those).
    static func wouldInject(request: RequestHead, response: ResponseHead) -> Bool {
        guard ReloadInjectionFilter.requestWantsPage({ request.headers[$0] }) else { return false }
        return InjectionDecision.shouldInject(
            method: request.method, status: response.status.code, responseHeaders: response.headers)
    }
}

/// An ``HTMLInjector`` as a response body filter.
struct InjectingBody: ResponseBodyFilter {
    var injector: HTMLInjector

    mutating func feed(_ bytes: [UInt8]) -> [UInt8] { injector.feed(bytes) }
    mutating func finish() -> [UInt8] { injector.finish() }
}
