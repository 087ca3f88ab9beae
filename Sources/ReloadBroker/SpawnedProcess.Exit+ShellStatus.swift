import UVLoop

extension SpawnedProcess.Exit {
    /// The status a shell gives this ending: the exit status, or 128 + the signal that killed it
    /// (what `reload-broker --exit-with-app` exits with).
    public var shellStatus: Int32 {
        signal != 0 ? 128 + signal : Int32(truncatingIfNeeded: status)
    }
}
