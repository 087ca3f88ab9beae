import ReloadBroker
import Testing

/// The exec guard's arguments, read without ArgumentParser: exactly what the broker writes.
@Suite struct GuardedCommandTests {
    @Test func readsWhatArgumentsWrites() throws {
        let arguments = GuardedCommand.arguments("cd app && uvicorn main:app", gracePeriodMilliseconds: 3000)
        let invocation = try #require(GuardedCommand.Invocation(arguments))
        #expect(invocation.command == "cd app && uvicorn main:app")
        #expect(invocation.gracePeriodMilliseconds == 3000)
        #expect(!invocation.waitsForStart)
    }

    @Test func readsTheGateFlagRightAfterTheSubcommand() throws {
        let written = GuardedCommand.arguments("npm run dev", gracePeriodMilliseconds: 0)
        let gated = Array(written[...1]) + [GuardedCommand.waitForStartFlag] + written[2...]
        let invocation = try #require(GuardedCommand.Invocation(gated))
        #expect(invocation.waitsForStart)
        #expect(invocation.gracePeriodMilliseconds == 0)
        #expect(invocation.command == "npm run dev")
    }

    @Test func leavesEverythingElseToTheParser() {
        let exe = "/proc/self/exe", sub = GuardedCommand.subcommand
        for arguments in [
            [exe], [exe, "serve"], [exe, sub, "--help"], [exe, sub, "cmd"],
            [exe, sub, "--grace-period", "x", "cmd"], [exe, sub, "--grace-period", "-1", "cmd"],
            [exe, sub, "cmd", "--grace-period", "10"], [exe, sub, "--grace-period", "10", "--help"],
            [exe, sub, "--grace-period", "10", "cmd", "extra"],
            [exe, sub, "--grace-period", "10", GuardedCommand.waitForStartFlag, "cmd"],
        ] {
            #expect(GuardedCommand.Invocation(arguments) == nil, "\(arguments)")
        }
    }
}
