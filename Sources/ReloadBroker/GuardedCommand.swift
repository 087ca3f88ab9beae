import UVLoop

/// The app's dev command run under the exec guard, which keeps every process of the app from
/// outliving the broker, however the broker ends (even SIGKILL): what ``ProxyConfiguration/command``
/// and ``CommandRunningHandler`` are given by the `reload-broker` tool.
///
/// The guard is the front end's own executable again: it routes the hidden ``subcommand`` to
/// ``run(command:gracePeriodMilliseconds:)``.
public enum GuardedCommand {
    /// The name of the guard's hidden subcommand (`reload-broker __exec-guard ...`).
    public static let subcommand = ExecGuard.subcommand

    /// The arguments that run `command` (a `/bin/sh -c` line) under this executable's guard,
    /// `gracePeriodMilliseconds` between SIGTERM and SIGKILL when it is stopped.
    public static func arguments(_ command: String, gracePeriodMilliseconds: Int) -> [String] {
        ["/proc/self/exe", subcommand, "--grace-period", String(gracePeriodMilliseconds), command]
    }

    /// Runs `command` as the guard (in the process started with ``arguments(_:gracePeriodMilliseconds:)``)
    /// and exits with its status.
    public static func run(command: String, gracePeriodMilliseconds: Int) -> Never {
        ExecGuard.run(command: command, gracePeriodMilliseconds: gracePeriodMilliseconds)
    }
}
