import Hummingbird
import HummingbirdTesting
import IntegrationTestSupport
import ReloadBroker
import Testing

@Suite("Hummingbird app in headless Chromium", .enabled(if: !HeadlessChromium.isSkipped), .timeLimit(.minutes(2)))
struct BrowserReloadTests {
    /// The page the app serves loads the client from the broker, and reloads on `broker.reload()`.
    @Test func aPageReloadsOnBrokerReload() async throws {
        let broker = try makeBroker()
        let pageRequests = PageRequests()
        var app = makeApp(broker: broker, pageRequests: pageRequests)
        app.addServices(broker)  // started and stopped with the app, as in the README
        try await app.test(.live) { client in
            let browser = try HeadlessChromium(url: "http://127.0.0.1:\(client.port!)/page")
            defer { browser.stop() }
            try await pageRequests.waitFor(1)
            try await waitForClients(broker, 1)
            #expect(broker.reloadAndWait() == 1)
            try await pageRequests.waitFor(2)
            #expect(await pageRequests.total == 2)
        }
    }
}
