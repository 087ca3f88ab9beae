import ArgumentParser
import Logging
import ReloadBroker

/// `--watch`, `--ignore` and `--debounce`, shared by `serve` and `proxy`.
struct WatchOptions: ParsableArguments {
    @Option(name: .customLong("watch"), help: "File or folder to watch (recursively); repeatable. serve defaults to --root.")
    var paths: [String] = []

    @Option(name: .customLong("ignore"), help: "Glob of names to ignore besides .git, .build, node_modules and editor temp files; repeatable.")
    var ignorePatterns: [String] = []

    @Option(help: "Quiet time in milliseconds before acting on changes not seen complete (a file still open, a deletion, a new file, several files); a save seen complete waits 5 ms.")
    var debounce = 40

    func validate() throws {
        guard (0...10_000).contains(debounce) else {
            throw ValidationError("--debounce must be between 0 and 10000 milliseconds, not \(debounce).")
        }
    }

    /// The watch configuration for `paths` (nil when empty); exits with ``ExitStatus/watchPathMissing``
    /// when one does not exist.
    func configuration(for paths: [String], servedRoot: String? = nil) throws -> WatchConfiguration? {
        guard !paths.isEmpty else { return nil }
        var resolved: [String] = []
        for path in paths {
            guard let real = realPath(path) else {
                printError("reload-broker: cannot watch \(path): no such file or folder")
                throw ExitCode(ExitStatus.watchPathMissing)
            }
            resolved.append(real)
        }
        var watch = WatchConfiguration(paths: resolved)
        watch.ignore += ignorePatterns
        watch.debounce = .milliseconds(debounce)
        watch.servedRoot = servedRoot.flatMap(realPath)
        return watch
    }
}

/// `--exec`, `--grace-period` and `--exit-with-app`, shared by `serve` and `proxy`.
struct ExecOptions: ParsableArguments {
    @Option(name: .customLong("exec"), help: "The app's dev command, run with /bin/sh -c in its own process group and restarted on changes.")
    var command: String?

    @Option(help: "Milliseconds between SIGTERM and SIGKILL when stopping the command.")
    var gracePeriod = 3000

    @Option(help: "Milliseconds between SIGTERM and SIGKILL when a change restarts the command (at most --grace-period).")
    var restartGrace = 25

    @Flag(help: "Exit (with the command's status) when the command exits by itself.")
    var exitWithApp = false

    func validate() throws {
        guard (0...600_000).contains(gracePeriod) else { throw ValidationError("--grace-period must be 0...600000 ms.") }
        guard (0...600_000).contains(restartGrace) else { throw ValidationError("--restart-grace must be 0...600000 ms.") }
        if exitWithApp, command == nil { throw ValidationError("--exit-with-app needs --exec.") }
    }

    /// The command wrapped in this binary's exec guard (nil without `--exec`).
    var guardedCommand: [String]? { command.map { execGuardArguments($0, gracePeriod: gracePeriod) } }
}

/// Creates the broker, turning bind failures into their exit statuses.
func makeBroker(_ configuration: BrokerConfiguration, logger: Logger) throws -> ReloadBroker {
    do {
        return try ReloadBroker(configuration: configuration, logger: logger)
    } catch {
        printError("reload-broker: \(error)")
        switch error {
        case .addressInUse: throw ExitCode(ExitStatus.addressInUse)
        default: throw ExitCode(ExitStatus.cannotListen)
        }
    }
}

/// The start-up lines about the network and watching, then runs the broker until it stops.
func announceAndRun(_ broker: ReloadBroker, watched: [String], quiet: Bool) {
    // Bound beyond loopback: where phones and other machines reach it (one line per address).
    for url in broker.networkURLs { print("reload-broker: on your network: \(url)/") }
    if watched.isEmpty {
        print("reload-broker: watching nothing; trigger with: curl -X POST \(broker.url)\(broker.configuration.prefix)/trigger")
    } else {
        print("reload-broker: watching \(watched.joined(separator: ", "))")
    }
    flushStandardOutput()
    broker.run()
    if !quiet { printError("reload-broker: stopped") }
}
