import ArgumentParser
import Logging
import ReloadBroker

@main
struct ReloadBrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload-broker",
        abstract: "Reload every open browser tab of your app when its code changes.",
        discussion: """
            Run `reload-broker serve` and open the URL it prints: the demo page reloads \
            when you trigger it (`curl -X POST http://127.0.0.1:35729/__reload/trigger`).

            Examples:
              reload-broker serve --root site
              reload-broker proxy --upstream http://127.0.0.1:8000 --exec "python3 app.py"
              reload-broker trigger --path styles/site.css

            Exit statuses: 0 success; 1 trigger reached no page; 3 port in use; 4 cannot listen; \
            5 --root missing; 6 --watch path missing; 7 no broker answered; 8 the broker refused the \
            trigger; 64 bad option values; with --exit-with-app, the app's own status. \
            See each command's --help.
            """,
        version: BrokerVersion.current,
        subcommands: [Serve.self, Proxy.self, Trigger.self, ExecGuardCommand.self]
    )

    /// The exec guard starts on every restart of the app, on the restart's path: given exactly
    /// the arguments the broker writes, it runs without ArgumentParser's set-up (most of this
    /// binary's start-up is the runtime's protocol-conformance lookups that set-up makes).
    static func main() {
        if let guardRun = GuardedCommand.Invocation(CommandLine.arguments) {
            GuardedCommand.run(
                command: guardRun.command, gracePeriodMilliseconds: guardRun.gracePeriodMilliseconds,
                waitsForStart: guardRun.waitsForStart)
        }
        main(nil)
    }
}
