#if canImport(Glibc)
import Glibc
#endif

/// Polls `condition` until it holds, pausing `interval` between tries; false when it still does
/// not hold after `timeout`. Bounded in count (at most `timeout / interval` + 1 tries) and in time.
///
/// The one polling helper of the suites, for state that can only be asked for (a client count,
/// a health endpoint, whether a process exists). Where an event can be awaited (a message on a
/// socket, a line of output, a thread ending), await that instead.
public func eventually(
    timeout: Duration = .seconds(10), interval: Duration = .milliseconds(10), _ condition: () throws -> Bool
) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    let attempts = max(1, Int((timeout / interval).rounded(.up)))
    for _ in 0..<attempts {
        if try condition() { return true }
        guard clock.now < deadline else { break }
        pause(interval)
    }
    return try condition()
}

private func pause(_ interval: Duration) {
    let (seconds, attoseconds) = interval.components
    var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    nanosleep(&time, nil)
}
