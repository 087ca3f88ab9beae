import IntegrationTestSupport
import ReloadBroker
import ReloadBrokerVapor
import Testing
import Vapor
import VaporTesting

@Suite("Vapor app in headless Chromium", .enabled(if: !HeadlessChromium.isSkipped), .timeLimit(.minutes(2)))
struct BrowserReloadTests {
    /// The lifecycle handler starts the broker with the app; the page loads the client from it
    /// and reloads on `broker.reload()`; shutting the app down stops the broker.
    @Test func aPageReloadsOnBrokerReload() async throws {
        let broker = try makeBroker()
        let pageRequests = PageRequests()
        try await withApp(configure: { app in
            configure(app, broker: broker, pageRequests: pageRequests)
            app.lifecycle.use(ReloadBrokerLifecycleHandler(broker: broker))
        }) { app in
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            guard let port = app.http.server.shared.localAddress?.port else {
                throw BrowserHarnessError("the app's server has no port")
            }
            let browser = try HeadlessChromium(url: "http://127.0.0.1:\(port)/page")
            defer { browser.stop() }
            try await pageRequests.waitFor(1)
            try await waitForClients(broker, 1)
            #expect(broker.reloadAndWait() == 1)
            try await pageRequests.waitFor(2)
            #expect(await pageRequests.total == 2)
            await app.server.shutdown()
        }
        // withApp shut the app down: the lifecycle handler stopped the broker.
        #expect(broker.reloadAndWait() == nil)
    }
}
