import UVLoop

/// What to watch and how changes become reloads.
public struct WatchConfiguration: Sendable {
    /// Files or folders; folders are watched recursively, also subfolders created later.
    public var paths: [String]
    /// Glob patterns of names to ignore (matched against each path component, or against the
    /// path relative to the watched folder when the pattern has a `/`).
    public var ignore: [String] = WatchConfiguration.defaultIgnores
    /// Quiet time after the last change before the broadcast, for changes the watcher cannot see
    /// complete: a file still open for writing, a deletion (an editor may be about to put the new
    /// version in place), a new file (maybe an editor's temporary one), several files (a
    /// `git checkout` of hundreds of files makes one reload). Default 40 ms.
    public var debounce: Duration = .milliseconds(40)
    /// The wait after one file's save is seen complete (its writer closed it, or it was renamed
    /// into place): just enough to join what a tool writes in the same instant (an editor's "save
    /// all", a `git checkout` or a build writes its files microseconds apart; once a second file
    /// joins, the batch waits for ``debounce``). Default 2 ms, which libuv's millisecond timers make
    /// 1–2 ms; never more than ``debounce``.
    public var settle: Duration = .milliseconds(2)
    /// A steady stream of changes still reloads at least this often. Default 500 ms.
    public var maxDelay: Duration = .milliseconds(500)
    /// The served folder: stylesheet paths in CSS messages are URL paths relative to it.
    public var servedRoot: String?

    /// Version control, build output, dependencies and editors' temporary files.
    public static let defaultIgnores = [
        ".git", ".hg", ".svn", ".build", ".build-*", ".build_*", ".swiftpm", "node_modules", "__pycache__",
        ".DS_Store", ".idea", ".vscode", "*.swp", "*.swx", "*.swo", "*~", ".#*", "#*#", "4913", "*.tmp",
        "*.crdownload", "*___jb_tmp___", "*___jb_old___", ".*.kate-swp", ".goutputstream-*", "*.pyc",
    ]

    public init(paths: [String]) { self.paths = paths }

    /// The canonical path (symbolic links resolved) of an existing file or folder, nil when it
    /// does not exist: how a front end checks and resolves the paths it is given.
    public static func canonicalPath(_ path: String) -> String? {
        try? LocalFileSystem.realPath(path)
    }
}
