import ReloadBroker
import Testing
import TestSupport

/// `--version` answers on the root command and on every subcommand, with the one version constant.
@Suite("reload-broker --version")
struct VersionTests {
    @Test(arguments: [[], ["serve"], ["proxy"], ["trigger"]])
    func printsTheVersion(command: [String]) throws {
        let result = try runBroker(command + ["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == BrokerVersion.current + "\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func helpOffersIt() throws {
        for command in [[], ["serve"], ["proxy"], ["trigger"]] {
            let result = try runBroker(command + ["--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("--version"), "\(command) --help")
        }
    }
}
