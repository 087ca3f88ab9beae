import UVLoop

/// The app's dev command run under the exec guard, which keeps every process of the app from
/// outliving the broker, however the broker ends (even SIGKILL): what ``ProxyConfiguration/command``
/// and ``CommandRunningHandler`` are given by the `reload-broker` tool.
///
/// The guard is the front end's own executable again: it routes the hidden ``subcommand`` to
/// ``run(command:gracePeriodMilliseconds:waitsForStart:)``.
public enum GuardedCommand {
    /// The name of the guard's hidden subcommand (`reload-broker __exec-guard ...`).
    public static let subcommand = ExecGuard.subcommand

    /// The arguments that run `command` (a `/bin/sh -c` line) under this executable's guard,
    /// `gracePeriodMilliseconds` between SIGTERM and SIGKILL when it is stopped.
    public static func arguments(_ command: String, gracePeriodMilliseconds: Int) -> [String] {
        ["/proc/self/exe", subcommand, "--grace-period", String(gracePeriodMilliseconds), command]
    }

    /// The guard's flag that makes it wait for its start signal (standard input) before it runs
    /// the command: how the broker starts the next app's guard while the old app still stops.
    public static let waitForStartFlag = "--wait-for-start"

    /// Runs `command` as the guard (in the process started with ``arguments(_:gracePeriodMilliseconds:)``)
    /// and exits with its status; with `waitsForStart`, only once the broker says so.
    public static func run(command: String, gracePeriodMilliseconds: Int, waitsForStart: Bool = false) -> Never {
        ExecGuard.run(command: command, gracePeriodMilliseconds: gracePeriodMilliseconds, waitsForStart: waitsForStart)
    }
}
