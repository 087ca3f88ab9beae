import ArgumentParser
import Logging
import ReloadBroker

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stand in front of your app (any language): pages get live reload; optionally run and restart its dev server.",
        discussion: """
            Examples:
              reload-broker proxy --upstream http://127.0.0.1:8000
              reload-broker proxy --upstream http://127.0.0.1:8000 --exec "python3 app.py" --watch . --ignore '*.pyc'
              reload-broker proxy --upstream http://127.0.0.1:8000 --exec "uvicorn app:app --reload"

            Open the broker's URL instead of the app's. With --exec and --watch, a change restarts the command \
            and reloads the pages at once, their requests waiting for the new process; with --exec alone the app \
            restarts itself and pages reload as soon as the broker sees it. While the app is down, pages show \
            what it printed last, its exit status and the command, kept current until it answers. \
            SIGINT/SIGTERM stop the app and the broker.

            Exit statuses: 3 port in use, 4 cannot listen, 6 watch path missing, 64 bad option values; \
            with --exit-with-app, the app's own status.
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "The app's URL: http://HOST:PORT.")
    var upstream: String

    @OptionGroup var exec: ExecOptions

    @OptionGroup var watch: WatchOptions

    @Option(help: "Milliseconds to wait for the app to accept and answer before a 504.")
    var upstreamTimeout = 30_000

    func validate() throws {
        guard ProxyConfiguration.parseUpstream(upstream) != nil else {
            throw ValidationError("--upstream must look like http://127.0.0.1:8000, not \"\(upstream)\".")
        }
        guard (1...3_600_000).contains(upstreamTimeout) else { throw ValidationError("--upstream-timeout must be 1...3600000 ms.") }
        if options.threads != 1 {
            throw ValidationError("proxy runs on one event loop: --threads is for serve (many thousands of tabs), not proxy.")
        }
    }

    func run() throws {
        let logger = options.makeLogger()
        var configuration = options.brokerConfiguration()
        let (host, port) = ProxyConfiguration.parseUpstream(upstream)!
        var proxyConfiguration = ProxyConfiguration(upstreamHost: host, upstreamPort: port)
        proxyConfiguration.timeout = .milliseconds(upstreamTimeout)
        proxyConfiguration.gracePeriod = .milliseconds(exec.gracePeriod)
        proxyConfiguration.restartGracePeriod = .milliseconds(exec.restartGrace)
        proxyConfiguration.exitWithApp = exec.exitWithApp
        // The guard (this binary again) keeps the app from outliving the broker.
        proxyConfiguration.command = exec.guardedCommand
        let proxy = ReverseProxy(configuration: proxyConfiguration)
        configuration.proxy = proxy
        configuration.watch = try watch.configuration(for: watch.paths)
        let broker = try makeBroker(configuration, logger: logger)
        print("reload-broker: proxying \(upstream) at \(broker.url)/")
        announceAndRun(broker, watched: watch.paths, quiet: options.quiet)
        if let exit = proxy.appExit { throw ExitCode(exit.shellStatus) }
    }
}
