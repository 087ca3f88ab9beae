import UVLoop

extension SpawnedProcess.Exit {
    /// The status a shell gives this ending: the exit status, or 128 + the signal that killed it
    /// (what `reload-broker --exit-with-app` exits with).
    public var shellStatus: Int32 {
        switch self {
        case .exited(let status): Int32(truncatingIfNeeded: status)
        case .killed(let signal): 128 + signal
        }
    }
}
