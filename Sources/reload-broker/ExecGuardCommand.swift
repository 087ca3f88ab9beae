import ArgumentParser
import ReloadBroker

/// `reload-broker __exec-guard --grace-period MS CMD`: runs CMD under a guard that takes the
/// whole process group down when the broker dies (internal; started by `proxy --exec`).
struct ExecGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: GuardedCommand.subcommand, shouldDisplay: false)

    @Option var gracePeriod = 3000
    @Argument var command: String

    func run() throws {
        GuardedCommand.run(command: command, gracePeriodMilliseconds: gracePeriod)
    }
}
