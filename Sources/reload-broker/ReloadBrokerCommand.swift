import ArgumentParser
import Logging
import ReloadBroker

@main
struct ReloadBrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload-broker",
        abstract: "Reload every open browser tab of your app when its code changes.",
        discussion: """
            Run `reload-broker serve` and open the URL it prints: the demo page reloads \
            when you trigger it (`curl -X POST http://127.0.0.1:35729/__reload/trigger`).
            """,
        subcommands: [Serve.self]
    )
}

/// Distinct exit statuses, so scripts can tell failures apart.
enum ExitStatus {
    /// The port is taken.
    static let addressInUse: Int32 = 3
    /// Any other failure to start listening.
    static let cannotListen: Int32 = 4
}

struct CommonOptions: ParsableArguments {
    @Option(help: "Address to bind: an IP address or localhost. Anything but loopback exposes the broker to your network.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one and prints it.")
    var port = 35729

    @Option(help: "Path prefix of the broker's own endpoints.")
    var prefix = "/__reload"

    @Option(name: .customLong("allow-host"), help: "Also answer requests whose Host is this name (.name for its subdomains too, * for any). Repeatable.")
    var allowedHosts: [String] = []

    @Option(name: .customLong("allow-origin"), help: "Also accept sockets and triggers from pages of this origin (e.g. https://app.test:8443, * for any). Repeatable.")
    var allowedOrigins: [String] = []

    @Option(help: "Require this token on triggers (Authorization: Bearer TOKEN).")
    var token: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(help: "Log only warnings and errors.")
    var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, not \(port).")
        }
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; not \"\(logLevel)\".")
        }
        if let token, token.isEmpty { throw ValidationError("--token must not be empty.") }
    }

    var level: Logger.Level {
        quiet ? .warning : Logger.Level(rawValue: logLevel.lowercased()) ?? .info
    }

    func brokerConfiguration() -> BrokerConfiguration {
        var configuration = BrokerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.prefix = prefix
        configuration.allowedHosts = allowedHosts
        configuration.allowedOrigins = allowedOrigins
        configuration.token = token
        configuration.handlesSignals = true
        return configuration
    }

    func makeLogger() -> Logger {
        let level = self.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "reload-broker")
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a broker that serves the built-in demo page with live reload.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        let logger = options.makeLogger()
        var configuration = options.brokerConfiguration()
        configuration.servesDemoPage = true
        let broker: ReloadBroker
        do {
            broker = try ReloadBroker(configuration: configuration, logger: logger)
        } catch {
            printError("reload-broker: \(error)")
            switch error {
            case .addressInUse: throw ExitCode(ExitStatus.addressInUse)
            default: throw ExitCode(ExitStatus.cannotListen)
            }
        }
        print("reload-broker: serving the demo at \(broker.url)/ (open it in a browser)")
        print("reload-broker: trigger a reload with: curl -X POST \(broker.url)\(configuration.prefix)/trigger")
        flushStandardOutput()
        broker.run()
        if !options.quiet { printError("reload-broker: stopped") }
    }
}
