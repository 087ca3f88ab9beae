import ArgumentParser
import Logging
import ReloadBroker
import UVLoop

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stand in front of your app (any language): pages get live reload; optionally run and restart its dev server.",
        discussion: """
            Examples:
              reload-broker proxy --upstream http://127.0.0.1:8000
              reload-broker proxy --upstream http://127.0.0.1:8000 --exec "python3 app.py" --watch . --ignore '*.pyc'
              reload-broker proxy --upstream http://127.0.0.1:8000 --exec "uvicorn app:app --reload"
            Open the broker's URL instead of the app's. With --exec and --watch, a change restarts the command \
            and pages reload once the new process answers; with --exec alone the app restarts itself and pages \
            reload when it answers again. SIGINT/SIGTERM stop the app and the broker.
            Exit statuses: 3 port in use, 4 cannot listen, 6 watch path missing, 64 bad option values; \
            with --exit-with-app, the app's own status.
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "The app's URL: http://HOST:PORT.")
    var upstream: String

    @Option(name: .customLong("exec"), help: "The app's dev command, run with /bin/sh -c in its own process group.")
    var command: String?

    @Option(name: .customLong("watch"), help: "File or folder to watch (recursively); repeatable. A change restarts --exec, or reloads.")
    var watchPaths: [String] = []

    @Option(name: .customLong("ignore"), help: "Glob of names to ignore besides .git, .build, node_modules and editor temp files; repeatable.")
    var ignorePatterns: [String] = []

    @Option(help: "Quiet time in milliseconds after the last change before acting.")
    var debounce = 40

    @Option(help: "Milliseconds to wait for the app to accept and answer before a 504.")
    var upstreamTimeout = 30_000

    @Option(help: "Milliseconds between SIGTERM and SIGKILL when stopping the app.")
    var gracePeriod = 3000

    @Flag(help: "Exit (with the app's status) when the app exits by itself.")
    var exitWithApp = false

    func validate() throws {
        guard ProxyConfiguration.parseUpstream(upstream) != nil else {
            throw ValidationError("--upstream must look like http://127.0.0.1:8000, not \"\(upstream)\".")
        }
        guard (0...10_000).contains(debounce) else {
            throw ValidationError("--debounce must be between 0 and 10000 milliseconds, not \(debounce).")
        }
        guard (1...3_600_000).contains(upstreamTimeout) else { throw ValidationError("--upstream-timeout must be 1...3600000 ms.") }
        guard (0...600_000).contains(gracePeriod) else { throw ValidationError("--grace-period must be 0...600000 ms.") }
        if exitWithApp, command == nil { throw ValidationError("--exit-with-app needs --exec.") }
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
        proxyConfiguration.gracePeriod = .milliseconds(gracePeriod)
        proxyConfiguration.exitWithApp = exitWithApp
        if let command {
            // The guard (this binary again) keeps the app from outliving the broker.
            proxyConfiguration.command = execGuardArguments(command, gracePeriod: gracePeriod)
        }
        let proxy = ReverseProxy(configuration: proxyConfiguration)
        configuration.fallback = proxy
        if !watchPaths.isEmpty {
            var resolved: [String] = []
            for path in watchPaths {
                guard let real = realPath(path) else {
                    printError("reload-broker: cannot watch \(path): no such file or folder")
                    throw ExitCode(ExitStatus.watchPathMissing)
                }
                resolved.append(real)
            }
            var watch = WatchConfiguration(paths: resolved)
            watch.ignore += ignorePatterns
            watch.debounce = .milliseconds(debounce)
            configuration.watch = watch
        }
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
        print("reload-broker: proxying \(upstream) at \(broker.url)/")
        if watchPaths.isEmpty {
            print("reload-broker: watching nothing; trigger with: curl -X POST \(broker.url)\(configuration.prefix)/trigger")
        } else {
            print("reload-broker: watching \(watchPaths.joined(separator: ", "))")
        }
        flushStandardOutput()
        broker.run()
        if !options.quiet { printError("reload-broker: stopped") }
        if let exit = proxy.appExit { throw ExitCode(appExitStatus(of: exit)) }
    }
}

/// The app's command wrapped in this binary's exec guard, which keeps the app from outliving the broker.
func execGuardArguments(_ command: String, gracePeriod: Int) -> [String] {
    ["/proc/self/exe", "__exec-guard", "--grace-period", String(gracePeriod), command]
}

/// The broker's exit status for an app that ended it (`--exit-with-app`): its status, or 128 + signal.
func appExitStatus(of exit: SpawnedProcess.Exit) -> Int32 {
    exit.signal != 0 ? 128 + exit.signal : Int32(truncatingIfNeeded: exit.status)
}

/// `reload-broker __exec-guard --grace-period MS CMD`: runs CMD under a guard that takes the
/// whole process group down when the broker dies (internal; started by `proxy --exec`).
struct ExecGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__exec-guard", shouldDisplay: false)

    @Option var gracePeriod = 3000
    @Argument var command: String

    func run() throws {
        ExecGuard.run(command: command, gracePeriodMilliseconds: gracePeriod)
    }
}
