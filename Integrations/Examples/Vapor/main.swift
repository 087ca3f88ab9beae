// A Vapor app whose pages reload when a template changes: the broker watches templates/,
// the middleware puts its client into every page (static files included), and a lifecycle
// handler starts the broker with the app and stops it with the app (SIGTERM/SIGINT too).
//
//   swift run --package-path Integrations vapor-example serve      then open http://127.0.0.1:8080
//
// `serve --port N`, RELOAD_BROKER_PORT (35729) and TEMPLATES (this folder's templates/) override the defaults.
import Foundation
import ReloadBroker
import ReloadBrokerVapor
import Vapor

let environment = ProcessInfo.processInfo.environment
let templates = environment["TEMPLATES"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("templates").path

var env = try Environment.detect()
try LoggingSystem.bootstrap(from: &env)
let app = try await Application.make(env)

var configuration = BrokerConfiguration()
configuration.port = Int(environment["RELOAD_BROKER_PORT"] ?? "") ?? 35729
var watch = WatchConfiguration(paths: [templates])
watch.servedRoot = templates  // templates/style.css is /style.css: a change swaps it in place
configuration.watch = watch
let broker = try ReloadBroker(configuration: configuration, logger: app.logger)

app.http.server.configuration.hostname = "127.0.0.1"
app.middleware.use(ReloadBrokerMiddleware(broker: broker))
app.middleware.use(FileMiddleware(publicDirectory: templates + "/"))
app.lifecycle.use(ReloadBrokerLifecycleHandler(broker: broker))

app.get { _ -> Response in
    // Read at every request, as a template engine in development mode does.
    let page = try String(contentsOfFile: templates + "/index.html", encoding: .utf8)
    return Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: page))
}
app.get("api", "time") { _ in ["now": "\(Date())"] }

do {
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    throw error
}
try await app.asyncShutdown()
