import IntegrationTestSupport
import NIOCore
import ReloadBroker
import Testing
import Vapor
import VaporTesting

/// Both of VaporTesting's ways in: in memory (no sockets) and a real server on loopback.
enum Mode: String, CaseIterable, CustomTestStringConvertible {
    case inMemory, running
    var method: Application.Method { self == .inMemory ? .inMemory : .running(hostname: "127.0.0.1", port: 0) }
    var testDescription: String { rawValue }
}

/// Runs `body` on a fresh app configured with the middleware in front of every test route.
func withTestApp(_ broker: ReloadBroker, _ body: (Application) async throws -> Void) async throws {
    try await withApp(configure: { configure($0, broker: broker) }, body)
}

@Suite("Vapor ReloadBrokerMiddleware", .timeLimit(.minutes(2)))
struct MiddlewareTests {
    @Test(arguments: Mode.allCases) func aWholePageGetsTheTagOnceWithItsLength(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await withTestApp(broker) { app in
            try await app.testing(method: mode.method).test(.GET, "page") { response in
                let tag = broker.scriptTag(origin: broker.url)
                #expect(response.status == .ok)
                #expect(response.body.string == Fixtures.pageHead + tag + Fixtures.pageTail)
                #expect(tag.contains(#"data-instance="\#(broker.instanceID)" data-epoch="0""#))
                #expect(tag.contains(#"src="\#(broker.url)/__reload/client.js""#))
                #expect(response.headers.first(name: "Content-Length") == String(response.body.readableBytes))
                #expect(response.headers.first(name: "X-Reload-Broker-Injected") == "1")
            }
        }
    }

    @Test(arguments: Mode.allCases, ["streamed", "streamed-known"])
    func aStreamedPageGetsTheTagOnceWithItsLength(mode: Mode, path: String) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await withTestApp(broker) { app in
            try await app.testing(method: mode.method).test(.GET, path) { response in
                #expect(response.body.string == Fixtures.streamedHead + broker.scriptTag(origin: broker.url) + Fixtures.streamedTail)
                #expect(response.headers.first(name: "Content-Length") == String(response.body.readableBytes))
                #expect(response.headers.first(name: "Transfer-Encoding") == nil)
            }
        }
    }

    @Test func anErrorPageGetsTheTag() async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await withTestApp(broker) { app in
            try await app.testing().test(.GET, "missing") { response in
                #expect(response.status == .notFound)
                #expect(Fixtures.tagCount(response.body.string) == 1)
            }
        }
    }

    @Test func theTagCarriesTheEpochAtRenderTime() async throws {
        let broker = try makeBroker()
        try broker.start()
        defer { broker.stop() }
        #expect(broker.reloadAndWait() == 0)
        try await withTestApp(broker) { app in
            try await app.testing().test(.GET, "page") { response in
                #expect(response.body.string.contains(#"data-instance="\#(broker.instanceID)" data-epoch="1""#))
            }
        }
    }

    @Test(arguments: Mode.allCases) func otherResponsesPassByteForByte(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await withTestApp(broker) { app in
            let tester = try app.testing(method: mode.method)
            try await tester.test(.GET, "json") { response in
                #expect(response.body.string == Fixtures.json)
                #expect(response.headers.first(name: "Content-Length") == String(Fixtures.json.utf8.count))
            }
            try await tester.test(.GET, "binary") { response in
                #expect(Array(response.body.readableBytesView) == Fixtures.binary)
                #expect(response.headers.first(name: "Content-Length") == String(Fixtures.binary.count))
            }
            try await tester.test(.GET, "gzip") { response in
                #expect(Array(response.body.readableBytesView) == Fixtures.gzipBytes)
                #expect(response.headers.first(name: "Content-Encoding") == "gzip")
                #expect(response.headers.first(name: "X-Reload-Broker-Injected") == nil)
            }
            try await tester.test(.GET, "tagged") { response in
                #expect(response.body.string == Fixtures.alreadyTagged)  // no second client
            }
        }
    }

    @Test(arguments: Mode.allCases) func headNoContentAndNotModifiedAreUntouched(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await withTestApp(broker) { app in
            let tester = try app.testing(method: mode.method)
            try await tester.test(.HEAD, "page") { response in
                #expect(response.status == .ok)
                // The server drops a HEAD response's body; testing in memory skips the server.
                if mode == .running { #expect(response.body.readableBytes == 0) }
                #expect(response.body.string == (mode == .running ? "" : Fixtures.page))
                #expect(response.headers.first(name: "Content-Length") == String(Fixtures.page.utf8.count))
                #expect(response.headers.first(name: "X-Reload-Broker-Injected") == nil)
            }
            try await tester.test(.GET, "no-content") { response in
                #expect(response.status == .noContent)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers.first(name: "X-Reload-Broker-Injected") == nil)
            }
            try await tester.test(.GET, "not-modified") { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers.first(name: "ETag") == "\"v1\"")
                #expect(response.headers.first(name: "X-Reload-Broker-Injected") == nil)
            }
        }
    }

    @Test func fragmentsFetchedByThePageAreUntouched() async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await withTestApp(broker) { app in
            try await app.testing().test(.GET, "page", headers: ["HX-Request": "true"]) {
                #expect($0.body.string == Fixtures.page)
            }
            try await app.testing().test(.GET, "page", headers: ["Sec-Fetch-Dest": "empty"]) {
                #expect($0.body.string == Fixtures.page)
            }
        }
    }
}
