import ArgumentParser
import UVLoop

/// `reload-broker __exec-guard --grace-period MS CMD`: runs CMD under a guard that takes the
/// whole process group down when the broker dies (internal; started by `proxy --exec`).
struct ExecGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: ExecGuard.subcommand, shouldDisplay: false)

    @Option var gracePeriod = 3000
    @Argument var command: String

    func run() throws {
        ExecGuard.run(command: command, gracePeriodMilliseconds: gracePeriod)
    }
}
