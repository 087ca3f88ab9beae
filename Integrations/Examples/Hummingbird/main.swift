// A Hummingbird app whose pages reload when a template changes: the broker watches
// templates/, the middleware puts its client into every page, and the broker runs as a
// service of the app (it starts with it and stops on SIGTERM/SIGINT with it).
//
//   swift run --package-path Integrations hummingbird-example      then open http://127.0.0.1:8080
//
// PORT (8080), RELOAD_BROKER_PORT (35729) and TEMPLATES (this folder's templates/) override the defaults.
import Foundation
import Hummingbird
import Logging
import ReloadBroker
import ReloadBrokerHummingbird

let environment = ProcessInfo.processInfo.environment
let templates = environment["TEMPLATES"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("templates").path
var logger = Logger(label: "hummingbird-example")
logger.logLevel = .info

var configuration = BrokerConfiguration()
configuration.port = Int(environment["RELOAD_BROKER_PORT"] ?? "") ?? 35729
var watch = WatchConfiguration(paths: [templates])
watch.servedRoot = templates  // templates/style.css is /style.css: a change swaps it in place
configuration.watch = watch
let broker = try ReloadBroker(configuration: configuration, logger: logger)

let router = Router()
router.add(middleware: ReloadBrokerMiddleware(broker: broker))
router.add(middleware: FileMiddleware(templates, searchForIndexHtml: false, logger: logger))
router.get("/") { _, _ in
    // Read at every request, as a template engine in development mode does.
    let page = try String(contentsOfFile: templates + "/index.html", encoding: .utf8)
    return Response(
        status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: page)))
}
router.get("/api/time") { _, _ in
    Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: #"{"now":"\#(Date())"}"#)))
}

var app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["PORT"] ?? "") ?? 8080)),
    logger: logger)
app.addServices(broker)
logger.info("reload broker listening", metadata: ["url": "\(broker.url)", "watching": "\(templates)"])
try await app.runService()
