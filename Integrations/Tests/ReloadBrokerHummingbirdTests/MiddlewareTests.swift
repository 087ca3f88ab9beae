import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntegrationTestSupport
import NIOCore
import ReloadBroker
import Testing

/// Both of HummingbirdTesting's ways in: `.router` (no sockets) and `.live` (a real server on loopback).
enum Mode: String, CaseIterable, CustomTestStringConvertible {
    case router, live
    var setup: TestingSetup { self == .router ? .router : .live }
    var testDescription: String { rawValue }
}

@Suite("Hummingbird ReloadBrokerMiddleware", .timeLimit(.minutes(2)))
struct MiddlewareTests {
    @Test(arguments: Mode.allCases) func aWholePageGetsTheTagOnceWithItsLength(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(mode.setup) { client in
            try await client.execute(uri: "/page", method: .get) { response in
                let text = String(buffer: response.body)
                let tag = broker.scriptTag(origin: broker.url)
                #expect(response.status == .ok)
                #expect(text == Fixtures.pageHead + tag + Fixtures.pageTail)
                #expect(tag.contains(#"data-instance="\#(broker.instanceID)" data-epoch="0""#))
                #expect(tag.contains(#"src="\#(broker.url)/__reload/client.js""#))
                #expect(response.headers[.contentLength] == String(response.body.readableBytes))
                #expect(response.headers[HTTPField.Name("X-Reload-Broker-Injected")!] == "1")
            }
        }
    }

    @Test(arguments: Mode.allCases) func aStreamedPageGetsTheTagOnceWithoutAContentLength(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(mode.setup) { client in
            try await client.execute(uri: "/streamed", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text == Fixtures.streamedHead + broker.scriptTag(origin: broker.url) + Fixtures.streamedTail)
                #expect(response.headers[.contentLength] == nil)
                if mode == .live { #expect(response.headers[.transferEncoding] == "chunked") }
            }
        }
    }

    @Test func aLongPageOfKnownLengthStreamsWithoutAContentLength() async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(.live) { client in
            try await client.execute(uri: "/large", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(Fixtures.tagCount(text) == 1)
                #expect(text.hasPrefix(Fixtures.pageHead + broker.scriptTag(origin: broker.url) + Fixtures.pageTail))
                #expect(response.body.readableBytes == Fixtures.page.utf8.count + ReloadInjectionFilter.wholeBodyLimit
                    + broker.scriptTag(origin: broker.url).utf8.count)
                #expect(response.headers[.contentLength] == nil)
            }
        }
    }

    @Test func anErrorPageGetsTheTag() async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(.router) { client in
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Fixtures.tagCount(String(buffer: response.body)) == 1)
            }
        }
    }

    @Test func theTagCarriesTheEpochAtRenderTime() async throws {
        let broker = try makeBroker()
        try broker.start()
        defer { broker.stop() }
        #expect(broker.reloadAndWait() == 0)
        #expect(broker.reloadAndWait() == 0)
        try await makeApp(broker: broker).test(.router) { client in
            try await client.execute(uri: "/page", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"data-instance="\#(broker.instanceID)" data-epoch="2""#))
            }
        }
    }

    @Test(arguments: Mode.allCases) func otherResponsesPassByteForByte(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(mode.setup) { client in
            try await client.execute(uri: "/json", method: .get) { response in
                #expect(String(buffer: response.body) == Fixtures.json)
                #expect(response.headers[.contentLength] == String(Fixtures.json.utf8.count))
            }
            try await client.execute(uri: "/binary", method: .get) { response in
                #expect(Array(response.body.readableBytesView) == Fixtures.binary)
                #expect(response.headers[.contentLength] == String(Fixtures.binary.count))
            }
            try await client.execute(uri: "/gzip", method: .get) { response in
                #expect(Array(response.body.readableBytesView) == Fixtures.gzipBytes)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[HTTPField.Name("X-Reload-Broker-Injected")!] == nil)
            }
            try await client.execute(uri: "/tagged", method: .get) { response in
                #expect(String(buffer: response.body) == Fixtures.alreadyTagged)  // no second client
            }
        }
    }

    @Test(arguments: Mode.allCases) func headNoContentAndNotModifiedAreUntouched(mode: Mode) async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(mode.setup) { client in
            try await client.execute(uri: "/page", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentLength] == String(Fixtures.page.utf8.count))
                #expect(response.headers[HTTPField.Name("X-Reload-Broker-Injected")!] == nil)
            }
            try await client.execute(uri: "/no-content", method: .get) { response in
                #expect(response.status == .noContent)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[HTTPField.Name("X-Reload-Broker-Injected")!] == nil)
            }
            try await client.execute(uri: "/not-modified", method: .get) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.eTag] == "\"v1\"")
                #expect(response.headers[HTTPField.Name("X-Reload-Broker-Injected")!] == nil)
            }
        }
    }

    @Test func fragmentsFetchedByThePageAreUntouched() async throws {
        let broker = try makeBroker()
        defer { broker.stop() }
        try await makeApp(broker: broker).test(.router) { client in
            try await client.execute(uri: "/page", method: .get, headers: [HTTPField.Name("HX-Request")!: "true"]) {
                #expect(String(buffer: $0.body) == Fixtures.page)
            }
            try await client.execute(uri: "/page", method: .get, headers: [HTTPField.Name("Sec-Fetch-Dest")!: "empty"]) {
                #expect(String(buffer: $0.body) == Fixtures.page)
            }
        }
    }
}
