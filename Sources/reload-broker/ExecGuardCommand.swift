import ArgumentParser
import ReloadBroker

/// `reload-broker __exec-guard --grace-period MS CMD`: runs CMD under a guard that takes the
/// whole process group down when the broker dies (internal; started by `proxy --exec`).
struct ExecGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: GuardedCommand.subcommand, shouldDisplay: false)

    @Option var gracePeriod = 3000
    /// Wait for the broker's start signal on standard input first (``GuardedCommand/waitForStartFlag``).
    @Flag(name: .customLong(String(GuardedCommand.waitForStartFlag.dropFirst(2)))) var waitForStart = false
    @Argument var command: String

    func run() throws {
        GuardedCommand.run(command: command, gracePeriodMilliseconds: gracePeriod, waitsForStart: waitForStart)
    }
}
