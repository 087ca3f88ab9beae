import Testing
import UVLoop

/// Runs one test's handles on a fresh loop on the calling thread, then checks the ending every
/// UVLoop test must have: ``EventLoop/run()`` returned because every handle was closed, and
/// `uv_loop_close` returned 0 (``EventLoop/closeReportingOpenHandles()`` is `.closed`).
///
/// `start` creates the test's handles and gets `finish`, which the test calls once it has seen
/// what it waits for (the test closes its own handles; `finish` lets the watchdog stop keeping
/// the loop alive). The watchdog is the bound: when the loop still runs after `timeout` (no
/// `finish`, or a handle of the test left active), the test fails and the loop is stopped and
/// left open (leaked on purpose: its handles may still be active).
func runLoop(
    timeout: UInt64 = 10_000, sourceLocation: SourceLocation = #_sourceLocation,
    _ start: (_ loop: EventLoop, _ finish: @escaping () -> Void) throws -> Void
) throws {
    let loop = try EventLoop()
    let watchdog = LoopTimer(loop: loop)
    var timedOut = false
    watchdog.start(after: timeout) {
        timedOut = true
        loop.stop()
    }
    do {
        try start(loop) { watchdog.unref() }
    } catch {
        leak(loop)
        throw error
    }
    loop.run()
    guard !timedOut else {
        Issue.record("the loop still ran after \(timeout) ms", sourceLocation: sourceLocation)
        leak(loop)
        return
    }
    watchdog.close()
    expectClosed(loop, sourceLocation: sourceLocation)
}

/// Closes `loop` and expects that nothing was left open; a loop that cannot close is leaked.
func expectClosed(_ loop: EventLoop, sourceLocation: SourceLocation = #_sourceLocation) {
    let result = loop.closeReportingOpenHandles()
    #expect(result == .closed, sourceLocation: sourceLocation)
    if result != .closed { leak(loop) }
}

/// Keeps a loop that could not close alive for good (its deinit would trap: the test has
/// already failed and should not take the whole run down with it).
private func leak(_ loop: EventLoop) {
    _ = Unmanaged.passRetained(loop)
}
