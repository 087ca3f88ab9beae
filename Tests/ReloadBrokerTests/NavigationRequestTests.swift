import HTMLInjection
import HTTPCodec
@testable import ReloadBroker
import Testing

/// The one rule for "a browser is loading a page", which both the injection (no client in
/// fragments) and the proxy (waiting pages, pages asked for uncompressed) follow.
@Suite("Navigation requests: one Sec-Fetch-Dest rule for injection and the proxy")
struct NavigationRequestTests {
    private func get(_ headers: HTTPHeaders) -> RequestHead { RequestHead(method: "GET", target: "/", headers: headers) }

    @Test(arguments: ["document", "iframe", "frame", "embed", "object", "Document"])
    func aNavigationDestinationIsAPageForBoth(destination: String) {
        #expect(InjectionDecision.isNavigationDestination(destination))
        #expect(ReloadInjectionFilter.requestWantsPage { $0 == "Sec-Fetch-Dest" ? destination : nil })
        #expect(ProxyRequestWriter.isNavigation(get(["Sec-Fetch-Dest": destination])))
        // Sec-Fetch-Dest decides, whatever Accept says.
        #expect(ProxyRequestWriter.isNavigation(get(["Sec-Fetch-Dest": destination, "Accept": "*/*"])))
    }

    @Test(arguments: ["empty", "script", "style", "image", "worker", "documents", ""])
    func anyOtherDestinationIsNotAPageForEither(destination: String) {
        #expect(!InjectionDecision.isNavigationDestination(destination))
        #expect(!ReloadInjectionFilter.requestWantsPage { $0 == "Sec-Fetch-Dest" ? destination : nil })
        #expect(!ProxyRequestWriter.isNavigation(get(["Sec-Fetch-Dest": destination, "Accept": "text/html"])))
    }

    @Test func withoutSecFetchDestTheProxyGoesByAccept() {
        #expect(ProxyRequestWriter.isNavigation(get(["Accept": "Text/HTML,application/xhtml+xml"])))
        #expect(!ProxyRequestWriter.isNavigation(get(["Accept": "application/json"])))
        #expect(!ProxyRequestWriter.isNavigation(get([:])))
        #expect(ReloadInjectionFilter.requestWantsPage { _ in nil })  // injection: any HTML response
    }

    @Test func onlyAGetIsANavigation() {
        let post = RequestHead(method: "POST", target: "/", headers: ["Sec-Fetch-Dest": "document"])
        #expect(!ProxyRequestWriter.isNavigation(post))
    }

    @Test func htmxFragmentsAreNotInjected() {
        #expect(!ReloadInjectionFilter.requestWantsPage { $0 == "HX-Request" ? "true" : ($0 == "Sec-Fetch-Dest" ? "document" : nil) })
    }
}
