import HTTPCodec
import Logging
import ReloadBroker
import TestSupport

/// A logger that drops everything (tests assert behaviour, not log lines).
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` against a broker on a free loopback port, running on its own thread, and stops it after.
func withBroker(
    _ configure: (inout BrokerConfiguration) -> Void = { _ in },
    _ body: (ReloadBroker) throws -> Void
) throws {
    var configuration = BrokerConfiguration()
    configuration.port = 0
    configure(&configuration)
    let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
    try broker.start()
    defer { broker.stop() }
    try body(broker)
}

/// Answers every request with a fixed body (a stand-in app for the connection tests).
struct FixedBodyHandler: RequestHandler {
    let body: [UInt8]
    let contentType: String

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        var head = ResponseHead(status: .ok)
        head.headers.add("Content-Type", contentType)
        responder.respond(head, body: body)
    }
}
