import HTTPServer
import Testing

/// The write-stall rule with a clock the test drives (no real time passes).
@Suite("WriteProgress: the write timeout, clock injected")
struct WriteProgressTests {
    @Test func nothingQueuedIsIdle() {
        var progress = WriteProgress()
        #expect(progress.check(queuedBytes: 0, completedWrites: 0, now: 1_000_000, timeout: 10) == .idle)
        #expect(progress.blockedSince == 0)
    }

    @Test func queuedOutputWithoutProgressStallsOnlyAfterTheTimeout() {
        var progress = WriteProgress()
        #expect(progress.check(queuedBytes: 10, completedWrites: 3, now: 100, timeout: 50) == .waiting)
        #expect(progress.check(queuedBytes: 10, completedWrites: 3, now: 150, timeout: 50) == .waiting)  // exactly the timeout
        #expect(progress.check(queuedBytes: 10, completedWrites: 3, now: 151, timeout: 50) == .stalled)
    }

    @Test func anyCompletedWriteRestartsTheCount() {
        var progress = WriteProgress()
        _ = progress.check(queuedBytes: 10, completedWrites: 1, now: 100, timeout: 50)
        #expect(progress.check(queuedBytes: 10, completedWrites: 2, now: 140, timeout: 50) == .waiting)
        #expect(progress.blockedSince == 140)
        #expect(progress.check(queuedBytes: 10, completedWrites: 2, now: 185, timeout: 50) == .waiting)
        #expect(progress.check(queuedBytes: 10, completedWrites: 2, now: 191, timeout: 50) == .stalled)
    }

    @Test func drainingOrAnEmptyQueueResetsIt() {
        var progress = WriteProgress()
        _ = progress.check(queuedBytes: 10, completedWrites: 1, now: 100, timeout: 50)
        progress.drained()
        #expect(progress.check(queuedBytes: 10, completedWrites: 1, now: 500, timeout: 50) == .waiting)
        #expect(progress.check(queuedBytes: 0, completedWrites: 1, now: 600, timeout: 50) == .idle)
        #expect(progress.check(queuedBytes: 5, completedWrites: 1, now: 700, timeout: 50) == .waiting)
    }

    @Test func theSweepLooksOftenEnoughForTheShortestDeadline() {
        #expect(HTTPServerTimeouts().sweepInterval == 250)  // the 1 s linger / 4
        #expect(HTTPServerTimeouts(head: 20, idle: 15_000, write: 10_000, linger: 1000).sweepInterval == 10)  // at least 10 ms
        #expect(HTTPServerTimeouts(head: 60_000, idle: 60_000, write: 60_000, linger: 60_000).sweepInterval == 1000)  // at most 1 s
    }
}
