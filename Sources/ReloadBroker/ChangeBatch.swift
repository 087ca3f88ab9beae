/// The changes seen since the last report, and whether they are complete.
///
/// Pure bookkeeping for ``FileWatcher``: it says when a batch can go out at once (one saved file,
/// its write complete) and when it must wait for quiet (a write still open, a file deleted and
/// maybe about to be recreated, a new file that may be an editor's temporary one, several
/// files: a `git checkout`, a build writing its outputs).
struct ChangeBatch {
    /// What a watched path went through, as far as a save is concerned.
    enum Change: Equatable {
        /// It appeared (a write usually follows).
        case created
        /// Written to; the writer may still be writing.
        case modified
        /// Its writer closed it, it was renamed into place, or its metadata changed: complete.
        case completed
        /// Deleted or renamed away (an editor may be about to put the new version in its place).
        case removed
        /// Anything else that must wait for quiet (a folder created, events lost).
        case unsettled
    }

    /// When the batch may be reported.
    enum Readiness: Equatable {
        /// One existing file, completely saved: report after the short settle.
        case complete
        /// Report once the changes have been quiet for the debounce.
        case waitForQuiet
    }

    private enum State { case writing, complete, gone }
    private struct Entry {
        var state: State
        /// Appeared within this batch (so a rename away later makes it a temporary file).
        var isNew: Bool
        var isTemporary: Bool { isNew && state == .gone }
    }

    private var order: [String] = []
    private var entries: [String: Entry] = [:]
    /// Loop time (ms) of the batch's first change.
    private(set) var startedAt: UInt64 = 0

    var isEmpty: Bool { order.isEmpty }

    mutating func record(_ path: String, _ change: Change, at now: UInt64) {
        if order.isEmpty { startedAt = now }
        guard var entry = entries[path] else {
            order.append(path)
            switch change {
            case .created: entries[path] = Entry(state: .writing, isNew: true)
            case .modified: entries[path] = Entry(state: .writing, isNew: false)
            case .completed: entries[path] = Entry(state: .complete, isNew: false)
            case .removed: entries[path] = Entry(state: .gone, isNew: false)
            case .unsettled: entries[path] = Entry(state: .complete, isNew: true)
            }
            return
        }
        switch change {
        case .created, .modified: entry.state = .writing
        case .completed: entry.state = .complete
        case .removed: entry.state = .gone
        case .unsettled: entry.isNew = true
        }
        entries[path] = entry
    }

    var readiness: Readiness {
        var lasting: Entry?
        for path in order {
            guard let entry = entries[path], !entry.isTemporary else { continue }
            if lasting != nil { return .waitForQuiet }  // several files
            lasting = entry
        }
        guard let entry = lasting, entry.state == .complete, !entry.isNew else { return .waitForQuiet }
        return .complete
    }

    /// The changed paths in the order first seen, without temporary files (created and gone
    /// again within the batch); empties the batch.
    mutating func take() -> [String] {
        let paths = order.filter { entries[$0].map { !$0.isTemporary } ?? false }
        order = []
        entries = [:]
        return paths
    }
}
