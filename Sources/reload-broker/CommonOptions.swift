import ArgumentParser
import Logging
import ReloadBroker

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
