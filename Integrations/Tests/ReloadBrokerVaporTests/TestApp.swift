import IntegrationTestSupport
import Logging
import NIOCore
import ReloadBroker
import ReloadBrokerVapor
import Vapor

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A broker on a free loopback port, bound but not started (the tests that need it running start it).
func makeBroker() throws -> ReloadBroker {
    var configuration = BrokerConfiguration()
    configuration.port = 0
    return try ReloadBroker(configuration: configuration, logger: quietLogger)
}

/// Registers the middleware and a route for every kind of response.
func configure(_ app: Application, broker: ReloadBroker, pageRequests: PageRequests? = nil) {
    app.logger = quietLogger
    app.middleware.use(ReloadBrokerMiddleware(broker: broker))
    let html: HTTPHeaders = ["Content-Type": "text/html; charset=utf-8"]
    app.get("page") { _ async -> Response in
        await pageRequests?.record()
        return Response(status: .ok, headers: html, body: .init(string: Fixtures.page))
    }
    app.get("streamed") { _ in
        Response(status: .ok, headers: html, body: .init(asyncStream: { writer in
            for piece in Fixtures.streamedPieces { try await writer.write(.buffer(ByteBuffer(string: piece))) }
            try await writer.write(.end)
        }))
    }
    app.get("streamed-known") { _ in
        let length = Fixtures.streamedPieces.reduce(0) { $0 + $1.utf8.count }
        return Response(status: .ok, headers: html, body: .init(stream: { writer in
            for piece in Fixtures.streamedPieces { _ = writer.write(.buffer(ByteBuffer(string: piece))) }
            _ = writer.write(.end)
        }, count: length))
    }
    app.get("missing") { _ in
        Response(status: .notFound, headers: html, body: .init(string: Fixtures.page))
    }
    app.get("json") { _ in
        Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: Fixtures.json))
    }
    app.get("binary") { _ in
        Response(
            status: .ok, headers: ["Content-Type": "application/octet-stream"],
            body: .init(buffer: ByteBuffer(bytes: Fixtures.binary)))
    }
    app.get("gzip") { _ in
        Response(
            status: .ok, headers: ["Content-Type": "text/html", "Content-Encoding": "gzip"],
            body: .init(buffer: ByteBuffer(bytes: Fixtures.gzipBytes)))
    }
    app.get("tagged") { _ in
        Response(status: .ok, headers: html, body: .init(string: Fixtures.alreadyTagged))
    }
    app.get("no-content") { _ in
        Response(status: .noContent, headers: html)
    }
    app.get("not-modified") { _ in
        Response(status: .notModified, headers: ["Content-Type": "text/html", "ETag": "\"v1\""])
    }
}
