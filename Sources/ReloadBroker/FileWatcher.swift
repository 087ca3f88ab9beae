#if canImport(Glibc)
import Glibc
#endif
import Logging
import UVLoop

/// What to watch and how changes become reloads.
public struct WatchConfiguration: Sendable {
    /// Files or folders; folders are watched recursively, also subfolders created later.
    public var paths: [String]
    /// Glob patterns of names to ignore (matched against each path component, or against the
    /// path relative to the watched folder when the pattern has a `/`).
    public var ignore: [String] = WatchConfiguration.defaultIgnores
    /// Quiet time after the last change before the broadcast: an editor's save or a `git checkout`
    /// of hundreds of files makes one reload. Default 40 ms.
    public var debounce: Duration = .milliseconds(40)
    /// A steady stream of changes still reloads at least this often. Default 500 ms.
    public var maxDelay: Duration = .milliseconds(500)
    /// The served folder: stylesheet paths in CSS messages are URL paths relative to it.
    public var servedRoot: String?

    /// Version control, build output, dependencies and editors' temporary files.
    public static let defaultIgnores = [
        ".git", ".hg", ".svn", ".build", ".build-*", ".build_*", ".swiftpm", "node_modules", "__pycache__",
        ".DS_Store", ".idea", ".vscode", "*.swp", "*.swx", "*.swo", "*~", ".#*", "#*#", "4913", "*.tmp",
        "*.crdownload", "*___jb_tmp___", "*___jb_old___", ".*.kate-swp", "*.pyc",
    ]

    public init(paths: [String]) { self.paths = paths }
}

/// Watches folders recursively (one inotify watcher per folder, as libuv offers on Linux),
/// debounces bursts, and reports each settled batch of changed paths.
///
/// Every editor's way of saving shows up as an event on the file's name in its folder:
/// in-place writes (`UV_CHANGE`), write-temp-then-rename and delete-and-recreate (`UV_RENAME`
/// on the final name), vim's backup dance (rename to `file~`, write `file`, delete `file~`;
/// the `~` and `4913` names are ignored). No change is dropped: a batch is handed over
/// synchronously and the next change starts a new batch, however soon it comes.
final class FileWatcher {
    private let loop: EventLoop
    private let configuration: WatchConfiguration
    private let logger: Logger
    private let onChange: ([String]) -> Void
    private let timer: LoopTimer
    private let rescueTimer: LoopTimer
    private var watchers: [String: DirectoryWatcher] = [:]
    /// Watched single files: folder → names.
    private var fileFilters: [String: Set<String>] = [:]
    private var pending: [String] = []
    private var pendingSet: Set<String> = []
    private var batchStartedAt: UInt64 = 0
    private var reportedLimit = false
    private var isClosed = false

    init(loop: EventLoop, configuration: WatchConfiguration, logger: Logger, onChange: @escaping ([String]) -> Void) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.onChange = onChange
        self.timer = LoopTimer(loop: loop)
        self.rescueTimer = LoopTimer(loop: loop)
        for path in configuration.paths { addRoot(path) }
        // A watched folder that is deleted and recreated (or a file replaced) is picked up again.
        rescueTimer.start(after: 1000, repeatEvery: 1000) { [unowned self] in self.rescueRoots() }
        rescueTimer.unref()
    }

    /// Folders currently watched.
    var watchedFolders: [String] { Array(watchers.keys).sorted() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        timer.close()
        rescueTimer.close()
        for watcher in watchers.values { watcher.close() }
        watchers = [:]
    }

    // MARK: Watching

    private func addRoot(_ path: String) {
        let clean = Self.trimmed(path)
        guard let info = try? LocalFileSystem.info(clean) else {
            logger.warning("cannot watch \(clean): it does not exist (will retry)")
            return
        }
        if info.isDirectory {
            addTree(clean)
        } else {
            let (folder, name) = Self.split(clean)
            fileFilters[folder, default: []].insert(name)
            addFolder(folder)
        }
    }

    private func rescueRoots() {
        for path in configuration.paths {
            let clean = Self.trimmed(path)
            guard let info = try? LocalFileSystem.info(clean) else { continue }
            let folder = info.isDirectory ? clean : Self.split(clean).folder
            if watchers[folder] == nil {
                logger.info("watching \(clean) again")
                addRoot(clean)
                record(clean)
            }
        }
    }

    private func addTree(_ folder: String) {
        var visited = Set(watchers.keys.compactMap { try? LocalFileSystem.info($0) }.map { FolderID($0) })
        addTree(folder, visited: &visited)
    }

    /// A folder's identity, so symbolic-link loops (`ln -s . again`) are walked once.
    private struct FolderID: Hashable {
        let device: UInt64, inode: UInt64
        init(_ info: FileInfo) { (device, inode) = (info.device, info.inode) }
    }

    private func addTree(_ folder: String, visited: inout Set<FolderID>) {
        guard let info = try? LocalFileSystem.info(folder), visited.insert(FolderID(info)).inserted || watchers[folder] != nil
        else { return }
        guard addFolder(folder) else { return }
        guard let entries = try? LocalFileSystem.list(folder) else { return }
        for entry in entries where entry.isDirectory && !isIgnored(folder + "/" + entry.name) {
            addTree(folder + "/" + entry.name, visited: &visited)
        }
    }

    @discardableResult
    private func addFolder(_ folder: String) -> Bool {
        if watchers[folder] != nil { return true }
        do throws(UVError) {
            watchers[folder] = try DirectoryWatcher(loop: loop, path: folder) { [unowned self] result in
                self.handle(result, in: folder)
            }
            return true
        } catch {
            if error.code == -28, !reportedLimit {  // ENOSPC: the inotify watch limit
                reportedLimit = true
                logger.error("out of inotify watches: raise fs.inotify.max_user_watches, or --ignore large folders")
            } else {
                logger.debug("cannot watch \(folder): \(error)")
            }
            return false
        }
    }

    private func removeTree(_ folder: String) {
        for (path, watcher) in watchers where path == folder || path.hasPrefix(folder + "/") {
            watcher.close()
            watchers[path] = nil
        }
    }

    private func handle(_ result: Result<DirectoryWatcher.Change, UVError>, in folder: String) {
        guard !isClosed else { return }
        switch result {
        case .failure(let error):
            logger.debug("watcher of \(folder) failed: \(error)")
            removeTree(folder)
            record(folder)
        case .success(let change):
            guard let name = change.name else {
                record(folder)
                return
            }
            if let names = fileFilters[folder], !isWatchedTree(folder), !names.contains(name) { return }
            let path = folder + "/" + name
            guard !isIgnored(path) else { return }
            if change.renamed {
                if let info = try? LocalFileSystem.info(path), info.isDirectory {
                    if watchers[path] == nil, isWatchedTree(folder) {
                        addTree(path)
                    }
                } else if watchers[path] != nil {
                    removeTree(path)
                } else if (try? LocalFileSystem.info(folder)) == nil {
                    removeTree(folder)
                }
            }
            record(path)
        }
    }

    /// Whether a folder is watched as part of a recursive tree (not only for single files).
    private func isWatchedTree(_ folder: String) -> Bool {
        configuration.paths.contains { root in
            let clean = Self.trimmed(root)
            return (folder == clean || folder.hasPrefix(clean + "/")) && fileFilters[clean] == nil
                && ((try? LocalFileSystem.info(clean))?.isDirectory ?? false)
        }
    }

    // MARK: Debounce

    private func record(_ path: String) {
        let now = loop.now
        if pending.isEmpty { batchStartedAt = now }
        if pendingSet.insert(path).inserted { pending.append(path) }
        let quiet = configuration.debounce.milliseconds
        let latest = batchStartedAt + configuration.maxDelay.milliseconds
        let due = min(now + quiet, max(latest, now))
        timer.start(after: due - now) { [unowned self] in self.flush() }
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        pendingSet = []
        onChange(batch)
    }

    // MARK: Ignore rules

    func isIgnored(_ path: String) -> Bool {
        let relative = relativePath(path)
        for pattern in configuration.ignore {
            if pattern.contains("/") {
                if fnmatch(pattern, relative, 0) == 0 || fnmatch(pattern, path, 0) == 0 { return true }
            } else {
                for component in relative.split(separator: "/") where fnmatch(pattern, String(component), 0) == 0 {
                    return true
                }
            }
        }
        return false
    }

    private func relativePath(_ path: String) -> String {
        for root in configuration.paths {
            let clean = Self.trimmed(root)
            if path.hasPrefix(clean + "/") { return String(path.dropFirst(clean.count + 1)) }
        }
        return Self.split(path).name
    }

    static func trimmed(_ path: String) -> String {
        var value = path
        while value.count > 1, value.hasSuffix("/") { value.removeLast() }
        return value
    }

    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}
