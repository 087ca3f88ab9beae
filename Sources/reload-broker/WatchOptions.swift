import ArgumentParser
import Logging
import ReloadBroker

/// `--watch`, `--ignore` and `--debounce`, shared by `serve` and `proxy`.
struct WatchOptions: ParsableArguments {
    @Option(name: .customLong("watch"), help: "File or folder to watch (recursively); repeatable. serve defaults to --root.")
    var paths: [String] = []

    @Option(name: .customLong("ignore"), help: "Glob of names to ignore besides .git, .build, node_modules and editor temp files; repeatable.")
    var ignorePatterns: [String] = []

    @Option(help: "Quiet time in milliseconds before acting on changes not seen complete (a file still open, a deletion, a new file, several files); a save seen complete waits 2 ms.")
    var debounce = 40

    func validate() throws {
        guard (0...10_000).contains(debounce) else {
            throw ValidationError("--debounce must be between 0 and 10000 milliseconds, not \(debounce).")
        }
    }

    /// The watch configuration for `paths` (nil when empty); exits with ``ExitStatus/watchPathMissing``
    /// when one does not exist.
    func configuration(for paths: [String], servedRoot: String? = nil) throws -> WatchConfiguration? {
        guard !paths.isEmpty else { return nil }
        var resolved: [String] = []
        for path in paths {
            guard let real = WatchConfiguration.canonicalPath(path) else {
                printError("reload-broker: cannot watch \(path): no such file or folder")
                throw ExitStatus.watchPathMissing.exitCode
            }
            resolved.append(real)
        }
        var watch = WatchConfiguration(paths: resolved)
        watch.ignore += ignorePatterns
        watch.debounce = .milliseconds(debounce)
        watch.servedRoot = servedRoot.flatMap(WatchConfiguration.canonicalPath)
        return watch
    }
}
