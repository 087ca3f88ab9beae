import HTTPTypes
import Hummingbird
import IntegrationTestSupport
import Logging
import NIOCore
import ReloadBroker
import ReloadBrokerHummingbird

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A broker on a free loopback port, bound but not started (the tests that need it running start it).
func makeBroker() throws -> ReloadBroker {
    var configuration = BrokerConfiguration()
    configuration.port = 0
    return try ReloadBroker(configuration: configuration, logger: quietLogger)
}

/// The app under test: the middleware in front of a route for every kind of response.
func makeApp(broker: ReloadBroker, pageRequests: PageRequests? = nil) -> Application<RouterResponder<BasicRequestContext>> {
    let router = Router(options: .autoGenerateHeadEndpoints)  // HEAD runs the GET route
    router.add(middleware: ReloadBrokerMiddleware(broker: broker))
    let html: HTTPFields = [.contentType: "text/html; charset=utf-8"]
    router.get("page") { _, _ in
        await pageRequests?.record()
        return Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: Fixtures.page)))
    }
    router.get("streamed") { _, _ in
        Response(status: .ok, headers: html, body: ResponseBody { writer in
            for piece in Fixtures.streamedPieces { try await writer.write(ByteBuffer(string: piece)) }
            try await writer.finish(nil)
        })
    }
    router.get("large") { _, _ in
        // A known length past the whole-body limit: streamed through, Content-Length dropped.
        let filler = String(repeating: "x", count: ReloadInjectionFilter.wholeBodyLimit)
        let body = Fixtures.pageHead + Fixtures.pageTail + filler
        return Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
    router.get("missing") { _, _ in
        Response(status: .notFound, headers: html, body: .init(byteBuffer: ByteBuffer(string: Fixtures.page)))
    }
    router.get("json") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: Fixtures.json)))
    }
    router.get("binary") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/octet-stream"],
            body: .init(byteBuffer: ByteBuffer(bytes: Fixtures.binary)))
    }
    router.get("gzip") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/html", .contentEncoding: "gzip"],
            body: .init(byteBuffer: ByteBuffer(bytes: Fixtures.gzipBytes)))
    }
    router.get("tagged") { _, _ in
        Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: Fixtures.alreadyTagged)))
    }
    router.get("no-content") { _, _ in
        Response(status: .noContent, headers: html)
    }
    router.get("not-modified") { _, _ in
        Response(status: .notModified, headers: html.merging([.eTag: "\"v1\""]))
    }
    return Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
}

extension HTTPFields {
    fileprivate func merging(_ other: HTTPFields) -> HTTPFields {
        var merged = self
        merged.append(contentsOf: other)
        return merged
    }
}
