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
