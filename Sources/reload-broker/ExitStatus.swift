import ArgumentParser

/// Distinct exit statuses, so scripts can tell failures apart.
enum ExitStatus: Int32 {
    /// `trigger`: the broker took the reload but no page was connected.
    case noClients = 1
    /// The port is taken.
    case addressInUse = 3
    /// Any other failure to start listening.
    case cannotListen = 4
    /// `--root` is missing or not a folder.
    case rootMissing = 5
    /// A `--watch` path does not exist.
    case watchPathMissing = 6
    /// `trigger`: no broker answered at the URL.
    case brokerUnreachable = 7
    /// `trigger`: the broker refused (token, origin) or answered an error.
    case triggerRefused = 8

    /// What a command throws to exit with this status.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
