import ArgumentParser
import Logging
import ReloadBroker

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a folder (or the built-in demo) with live reload, and reload on file changes.",
        discussion: """
            Examples:
              reload-broker serve --root site            serve ./site, reload when anything in it changes
              reload-broker serve --root public --watch src --ignore '*.map'
              reload-broker serve                        the built-in demo page

            SIGHUP triggers a reload; SIGINT/SIGTERM stop. Exit statuses: 3 port in use, 4 cannot listen,
            5 root missing, 6 watch path missing, 64 bad option values.
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "Folder to serve; HTML pages get the reload client injected.")
    var root: String?

    @OptionGroup var watch: WatchOptions

    @Flag(help: "Do not watch anything (reload only by trigger or SIGHUP).")
    var noWatch = false

    @OptionGroup var exec: ExecOptions

    func run() throws {
        let logger = options.makeLogger()
        var configuration = options.brokerConfiguration()
        var watched: [String] = []
        if let root {
            let handler: StaticFileHandler
            do {
                handler = try StaticFileHandler(root: root, logger: logger)
            } catch {
                printError("reload-broker: cannot serve: \(error)")
                throw ExitStatus.rootMissing.exitCode
            }
            configuration.fallback = handler
            watched = noWatch ? [] : (watch.paths.isEmpty ? [root] : watch.paths)
        } else {
            configuration.servesDemoPage = true
            watched = noWatch ? [] : watch.paths
        }
        configuration.watch = try watch.configuration(for: watched, servedRoot: root)
        var runner: CommandRunningHandler?
        if let command = exec.guardedCommand {
            runner = CommandRunningHandler(
                command: command,
                gracePeriod: .milliseconds(exec.gracePeriod), restartGracePeriod: .milliseconds(exec.restartGrace),
                exitWithApp: exec.exitWithApp)
            configuration.appCommand = runner
        }
        let broker = try makeBroker(configuration, logger: logger)
        if let root {
            print("reload-broker: serving \(root) at \(broker.url)/")
        } else {
            print("reload-broker: serving the demo at \(broker.url)/ (open it in a browser)")
        }
        announceAndRun(broker, watched: watched, quiet: options.quiet)
        if let exit = runner?.appExit { throw ExitCode(exit.shellStatus) }
    }
}
