#if canImport(Glibc)
import Glibc
#endif
import Logging
import UVLoop

/// Watches folders recursively (one inotify watch per folder, on one descriptor), groups changes
/// into batches and reports each batch of changed paths.
///
/// A batch goes out as soon as it is complete: when the one file it holds was closed after
/// writing or renamed into place (every editor's way of saving ends so), after a settle of a
/// few milliseconds; otherwise after the debounce's quiet. Editors' temporary files are ignored
/// by name or, when created and renamed away within the batch, dropped from it; vim's backup
/// dance (rename to `file~`, write `file`, delete `file~`) ends with `file` written, so it is one
/// change. No change is dropped: a batch is handed over synchronously and the next change starts
/// a new batch, however soon it comes.
final class FileWatcher {
    private let loop: EventLoop
    private let configuration: WatchConfiguration
    private let logger: Logger
    private let onChange: ([String]) -> Void
    private let timer: LoopTimer
    private let rescueTimer: LoopTimer
    private var inotify: InotifyWatcher?
    /// Watched folders: path → watch descriptor, and back.
    private var watches: [String: Int32] = [:]
    private var folders: [Int32: String] = [:]
    /// Watched single files: folder → names.
    private var fileFilters: [String: Set<String>] = [:]
    private var batch = ChangeBatch()
    private var reportedLimit = false
    private var isClosed = false

    init(loop: EventLoop, configuration: WatchConfiguration, logger: Logger, onChange: @escaping ([String]) -> Void) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.onChange = onChange
        self.timer = LoopTimer(loop: loop)
        self.rescueTimer = LoopTimer(loop: loop)
        do throws(UVError) {
            inotify = try InotifyWatcher(loop: loop) { [unowned self] events in self.handle(events) }
        } catch {
            logger.error("cannot watch files", metadata: ["error": "\(error)"])
        }
        for path in configuration.paths { addRoot(path) }
        // A watched folder that is deleted and recreated (or a file replaced) is picked up again.
        rescueTimer.start(after: 1000, repeatEvery: 1000) { [unowned self] in self.rescueRoots() }
        rescueTimer.unref()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        timer.close()
        rescueTimer.close()
        inotify?.close()
        watches = [:]
        folders = [:]
    }

    // MARK: Watching

    private func addRoot(_ path: String) {
        let clean = Self.trimmed(path)
        guard let info = try? LocalFileSystem.info(clean) else {
            logger.info("cannot watch a path that does not exist (will retry)", metadata: ["path": "\(clean)"])
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
            if watches[folder] == nil {
                logger.info("watching again", metadata: ["path": "\(clean)"])
                addRoot(clean)
                record(clean, .unsettled)
                schedule()
            }
        }
    }

    private func addTree(_ folder: String) {
        var visited = Set(watches.keys.compactMap { try? LocalFileSystem.info($0) }.map { FolderID($0) })
        addTree(folder, visited: &visited)
    }

    /// A folder's identity, so symbolic-link loops (`ln -s . again`) are walked once.
    private struct FolderID: Hashable {
        let device: UInt64, inode: UInt64
        init(_ info: FileInfo) { (device, inode) = (info.device, info.inode) }
    }

    private func addTree(_ folder: String, visited: inout Set<FolderID>) {
        guard let info = try? LocalFileSystem.info(folder), visited.insert(FolderID(info)).inserted || watches[folder] != nil
        else { return }
        guard addFolder(folder) else { return }
        guard let entries = try? LocalFileSystem.list(folder) else { return }
        for entry in entries where entry.isDirectory && !isIgnored(folder + "/" + entry.name) {
            addTree(folder + "/" + entry.name, visited: &visited)
        }
    }

    @discardableResult
    private func addFolder(_ folder: String) -> Bool {
        if watches[folder] != nil { return true }
        guard let inotify else { return false }
        do throws(UVError) {
            let watch = try inotify.add(folder: folder)
            // The same folder under a second path (a bind mount, a link the walk did not catch)
            // keeps its first path.
            guard folders[watch] == nil else { return false }
            watches[folder] = watch
            folders[watch] = folder
            return true
        } catch {
            if error.isNoSpace, !reportedLimit {
                reportedLimit = true
                logger.error("out of inotify watches: raise fs.inotify.max_user_watches, or --ignore large folders")
            } else {
                logger.debug("cannot watch a folder", metadata: ["path": "\(folder)", "error": "\(error)"])
            }
            return false
        }
    }

    private func removeTree(_ folder: String) {
        for (path, watch) in watches where path == folder || path.hasPrefix(folder + "/") {
            inotify?.remove(watch)
            watches[path] = nil
            folders[watch] = nil
        }
    }

    private func handle(_ events: [InotifyWatcher.Event]) {
        guard !isClosed else { return }
        for event in events { handle(event) }
        schedule()
    }

    private func handle(_ event: InotifyWatcher.Event) {
        if event.kind == .overflow {
            logger.info("the kernel dropped file events; rescanning the watched folders")
            for path in configuration.paths {
                addRoot(path)
                record(Self.trimmed(path), .unsettled)
            }
            return
        }
        guard let folder = folders[event.watch] else { return }
        guard let name = event.name else {
            if event.kind == .folderGone {
                removeTree(folder)
                record(folder, .removed)
            }
            return
        }
        if let names = fileFilters[folder], !isWatchedTree(folder), !names.contains(name) { return }
        let path = folder + "/" + name
        guard !isIgnored(path) else { return }
        if event.isFolder {
            switch event.kind {
            case .created, .movedIn:
                if watches[path] == nil, isWatchedTree(folder) { addTree(path) }
            case .movedOut, .deleted:
                removeTree(path)
            default:
                break
            }
            record(path, .unsettled)
            return
        }
        switch event.kind {
        case .created: record(path, .created)
        case .modified: record(path, .modified)
        case .written, .movedIn, .attributes: record(path, .completed)
        case .movedOut, .deleted: record(path, .removed)
        case .folderGone, .overflow: record(path, .unsettled)
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

    // MARK: Batches

    private func record(_ path: String, _ change: ChangeBatch.Change) {
        batch.record(path, change, at: loop.now)
    }

    /// Arms the timer for the batch: the settle when it is complete, else the debounce's quiet,
    /// and never later than `maxDelay` after its first change (a file that keeps changing).
    private func schedule() {
        guard !batch.isEmpty else { return }
        let now = loop.now
        let debounce = configuration.debounce.milliseconds
        let quiet = batch.readiness == .complete ? min(configuration.settle.milliseconds, debounce) : debounce
        let latest = batch.startedAt + configuration.maxDelay.milliseconds
        let due = min(now + quiet, max(latest, now))
        timer.start(after: due - now) { [unowned self] in self.flush() }
    }

    private func flush() {
        let paths = batch.take()
        guard !paths.isEmpty else { return }
        onChange(paths)
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
