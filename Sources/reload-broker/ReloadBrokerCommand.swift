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

            Examples:
              reload-broker serve --root site
              reload-broker proxy --upstream http://127.0.0.1:8000 --exec "python3 app.py"
              reload-broker trigger --path styles/site.css

            Exit statuses: 0 success; 1 trigger reached no page; 3 port in use; 4 cannot listen; \
            5 --root missing; 6 --watch path missing; 7 no broker answered; 8 the broker refused the \
            trigger; 64 bad option values; with --exit-with-app, the app's own status. \
            See each command's --help.
            """,
        version: BrokerVersion.current,
        subcommands: [Serve.self, Proxy.self, Trigger.self, ExecGuardCommand.self]
    )
}

/// Distinct exit statuses, so scripts can tell failures apart.
enum ExitStatus {
    /// The port is taken.
    static let addressInUse: Int32 = 3
    /// Any other failure to start listening.
    static let cannotListen: Int32 = 4
    /// `--root` is missing or not a folder.
    static let rootMissing: Int32 = 5
    /// A `--watch` path does not exist.
    static let watchPathMissing: Int32 = 6
    /// `trigger`: the broker took the reload but no page was connected.
    static let noClients: Int32 = 1
    /// `trigger`: no broker answered at the URL.
    static let brokerUnreachable: Int32 = 7
    /// `trigger`: the broker refused (token, origin) or answered an error.
    static let triggerRefused: Int32 = 8
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

    @Flag(help: "Do not serve the LiveReload endpoints (/livereload, /livereload.js, tiny-lr's /changed and /alert).")
    var noLivereload = false

    @Option(help: "Path of the LiveReload WebSocket; the extensions and livereload.js 2.x only use /livereload.")
    var livereloadPath = "/livereload"

    @Option(help: "Event loops (threads) serving clients; more than one spreads connections with SO_REUSEPORT and broadcasts on all at once.")
    var threads = 1

    @Option(help: "Share reloads with every broker using this Redis: redis://[user:password@]HOST:PORT[/DB]. Redis down is not fatal.")
    var redis: String?

    @Option(help: "The Redis pub/sub channel of the cluster (default reload-broker:PREFIX).")
    var redisChannel: String?

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
        guard livereloadPath.hasPrefix("/"), livereloadPath.count > 1,
            livereloadPath.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "?" && $0 != "#" })
        else {
            throw ValidationError("--livereload-path must be a path such as /livereload, not \"\(livereloadPath)\".")
        }
        let normalizedPrefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if ["/livereload.js", "/changed", "/alert", normalizedPrefix].contains(livereloadPath)
            || livereloadPath.hasPrefix(normalizedPrefix + "/")
        {
            throw ValidationError("--livereload-path \(livereloadPath) is taken by another endpoint; pick another path.")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64, not \(threads).") }
        if let redis {
            // The message never repeats the URL: it may hold a password.
            do { _ = try RedisURL.parse(redis) } catch { throw ValidationError("--redis: \(error).") }
        }
        if let redisChannel {
            guard redis != nil else { throw ValidationError("--redis-channel needs --redis.") }
            guard !redisChannel.isEmpty, redisChannel.utf8.count <= 256,
                redisChannel.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
            else { throw ValidationError("--redis-channel must be 1 to 256 characters without spaces or control characters.") }
        }
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
        configuration.loops = threads
        configuration.liveReload = noLivereload ? nil : LiveReloadConfiguration(socketPath: livereloadPath)
        if let redis, let url = try? RedisURL.parse(redis) {
            configuration.cluster = .redis(url: url, channel: redisChannel)
        }
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
        abstract: "Serve a folder (or the built-in demo) with live reload, and reload on file changes.",
        discussion: """
            Examples:
              reload-broker serve --root site            serve ./site, reload when anything in it changes
              reload-broker serve --root public --watch src --ignore '*.map'
              reload-broker serve                        the built-in demo page

            SIGHUP triggers a reload; SIGINT/SIGTERM stop. Exit statuses: 3 port in use, 4 cannot listen,
            5 root missing, 6 watch path missing, 64 bad option values.
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "Folder to serve; HTML pages get the reload client injected.")
    var root: String?

    @OptionGroup var watch: WatchOptions

    @Flag(help: "Do not watch anything (reload only by trigger or SIGHUP).")
    var noWatch = false

    @OptionGroup var exec: ExecOptions

    func run() throws {
        let logger = options.makeLogger()
        var configuration = options.brokerConfiguration()
        var watched: [String] = []
        if let root {
            let handler: StaticFileHandler
            do {
                handler = try StaticFileHandler(root: root, logger: logger)
            } catch {
                printError("reload-broker: cannot serve: \(error)")
                throw ExitCode(ExitStatus.rootMissing)
            }
            configuration.fallback = handler
            watched = noWatch ? [] : (watch.paths.isEmpty ? [root] : watch.paths)
        } else {
            configuration.servesDemoPage = true
            watched = noWatch ? [] : watch.paths
        }
        configuration.watch = try watch.configuration(for: watched, servedRoot: root)
        var runner: CommandRunningHandler?
        if let command = exec.guardedCommand {
            runner = CommandRunningHandler(
                command: command,
                gracePeriod: .milliseconds(exec.gracePeriod), restartGracePeriod: .milliseconds(exec.restartGrace),
                exitWithApp: exec.exitWithApp)
            configuration.appCommand = runner
        }
        let broker = try makeBroker(configuration, logger: logger)
        if let root {
            print("reload-broker: serving \(root) at \(broker.url)/")
        } else {
            print("reload-broker: serving the demo at \(broker.url)/ (open it in a browser)")
        }
        announceAndRun(broker, watched: watched, quiet: options.quiet)
        if let exit = runner?.appExit { throw ExitCode(appExitStatus(of: exit)) }
    }
}
