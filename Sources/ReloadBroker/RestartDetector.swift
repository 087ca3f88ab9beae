/// Tells, from the app's process group over time, when an app that restarts itself
/// (`uvicorn --reload`, `flask run --debug`, `node --watch`) replaced its server process.
///
/// Such reloaders keep a parent process and replace a worker: first the old worker goes, then a
/// new one comes. A member that goes makes the group *suspect*; a member that comes while it is
/// (or in the same look) is a restart. A subprocess that merely comes, or goes and nothing
/// follows within ``patience`` milliseconds, is not. Pure: the caller looks at `/proc`.
struct RestartDetector {
    enum Verdict: Equatable {
        case steady
        /// A member went; a new one may follow.
        case suspect
        /// A member was replaced: the app restarted itself.
        case restarted
    }

    /// Members at the last steady look.
    private(set) var known: Set<Int32> = []
    private var missingSince: UInt64?
    /// How long a group may miss a member before the loss is accepted as no restart.
    let patience: UInt64

    init(patience: UInt64 = 2000) { self.patience = patience }

    var isSuspect: Bool { missingSince != nil }

    /// Starts from the group as it is now (when the app answered).
    mutating func baseline(_ members: Set<Int32>) {
        known = members
        missingSince = nil
    }

    /// One look at the whole group.
    mutating func observe(_ members: Set<Int32>, at now: UInt64) -> Verdict {
        let gone = !known.subtracting(members).isEmpty
        let came = !members.subtracting(known).isEmpty
        if let since = missingSince {
            if came {
                baseline(members)
                return .restarted
            }
            if now >= since + patience {
                baseline(members)
                return .steady
            }
            return .suspect
        }
        if gone, came {
            baseline(members)
            return .restarted
        }
        if gone {
            missingSince = now
            return .suspect
        }
        if came { known = members }
        return .steady
    }
}
