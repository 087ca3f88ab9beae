import ArgumentParser
import ReloadBroker

/// `--exec`, `--grace-period` and `--exit-with-app`, shared by `serve` and `proxy`.
struct ExecOptions: ParsableArguments {
    @Option(name: .customLong("exec"), help: "The app's dev command, run with /bin/sh -c in its own process group and restarted on changes.")
    var command: String?

    @Option(help: "Milliseconds between SIGTERM and SIGKILL when stopping the command.")
    var gracePeriod = 3000

    @Option(help: "Milliseconds between SIGTERM and SIGKILL when a change restarts the command (at most --grace-period).")
    var restartGrace = ProxyConfiguration.defaultRestartGraceMilliseconds

    @Flag(help: "Exit (with the command's status) when the command exits by itself.")
    var exitWithApp = false

    func validate() throws {
        guard (0...600_000).contains(gracePeriod) else { throw ValidationError("--grace-period must be 0...600000 ms.") }
        guard (0...600_000).contains(restartGrace) else { throw ValidationError("--restart-grace must be 0...600000 ms.") }
        if exitWithApp, command == nil { throw ValidationError("--exit-with-app needs --exec.") }
    }

    /// The command wrapped in this binary's exec guard (nil without `--exec`).
    var guardedCommand: [String]? { command.map { GuardedCommand.arguments($0, gracePeriodMilliseconds: gracePeriod) } }
}
