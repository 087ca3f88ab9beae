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

    /// The guard's arguments as ``arguments(_:gracePeriodMilliseconds:)`` writes them (with
    /// ``waitForStartFlag`` right after the subcommand when the broker starts it at a gate), read
    /// without a command-line parser: the guard starts on every restart, on the restart's path.
    /// nil for anything else (`--help`, a hand-written order), which the front end's parser takes.
    public struct Invocation: Equatable, Sendable {
        public var command: String
        public var gracePeriodMilliseconds: Int
        public var waitsForStart: Bool

        /// From the whole argument vector (the executable first).
        public init?(_ arguments: [String]) {
            var rest = arguments.dropFirst()
            guard rest.popFirst() == subcommand else { return nil }
            waitsForStart = rest.first == waitForStartFlag
            if waitsForStart { rest.removeFirst() }
            guard rest.count == 3, rest.popFirst() == "--grace-period", let grace = rest.popFirst().flatMap({ Int($0) }),
                grace >= 0, let command = rest.popFirst(), !command.hasPrefix("-")
            else { return nil }
            gracePeriodMilliseconds = grace
            self.command = command
        }
    }

    /// Runs `command` as the guard (in the process started with ``arguments(_:gracePeriodMilliseconds:)``)
    /// and exits with its status; with `waitsForStart`, only once the broker says so.
    public static func run(command: String, gracePeriodMilliseconds: Int, waitsForStart: Bool = false) -> Never {
        ExecGuard.run(command: command, gracePeriodMilliseconds: gracePeriodMilliseconds, waitsForStart: waitsForStart)
    }
}
