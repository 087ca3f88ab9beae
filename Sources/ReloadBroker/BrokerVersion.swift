/// The version of reload-broker: the library, the `reload-broker` command (`--version` on it and on
/// every subcommand), the broker's `/health` answer, and the packages `scripts/package.sh` builds
/// (which read it back from the built binary). Change it here only.
public enum BrokerVersion {
    /// Semantic version, `MAJOR.MINOR.PATCH`.
    public static let current = "0.1.0"
}
