import Testing

@testable import HTTPServer

/// The HTTP connection's deadlines with the clock passed in: every timeout decision without a
/// socket or real time (one real-socket test per timeout stays in the broker's suites).
@Suite("HTTPConnectionDeadline: head, idle, write and linger timeouts, clock injected")
struct HTTPConnectionDeadlineTests {
    static let timeouts = HTTPServerTimeouts(head: 10_000, idle: 15_000, write: 5_000, linger: 1_000)

    /// The sweep's look at `now` with nothing queued.
    func check(_ deadline: inout HTTPConnectionDeadline, at now: UInt64, linger: Linger? = nil) -> HTTPConnectionDeadline.Verdict {
        deadline.check(now: now, queuedBytes: 0, completedWrites: 0, linger: linger, timeouts: Self.timeouts)
    }

    @Test func aNewConnectionMustSendItsHeadWithinTheHeadTimeout() {
        var deadline = HTTPConnectionDeadline(now: 1_000, timeouts: Self.timeouts)
        #expect(check(&deadline, at: 10_999) == .keep)
        #expect(check(&deadline, at: 11_000) == .close(.head))
    }

    @Test func aHandlerHasNoDeadlineOfOurs() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        deadline.handlerTookOver()
        #expect(check(&deadline, at: 1_000_000_000) == .keep)
    }

    @Test func afterAResponseTheIdleTimeoutRunsUntilTheNextRequestsFirstByte() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        deadline.handlerTookOver()
        deadline.responseFinished(now: 2_000, nextRequestBegun: false, timeouts: Self.timeouts)
        #expect(deadline.wait == .idle(until: 17_000))
        #expect(check(&deadline, at: 16_999) == .keep)
        #expect(check(&deadline, at: 17_000) == .close(.idle))

        // The next request's first byte at 16 s: its head is due 10 s later, the idle timeout is gone.
        var next = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        next.responseFinished(now: 2_000, nextRequestBegun: false, timeouts: Self.timeouts)
        next.requestBegan(now: 16_000, timeouts: Self.timeouts)
        #expect(check(&next, at: 17_000) == .keep)
        #expect(check(&next, at: 26_000) == .close(.head))
    }

    @Test func aPipelinedRequestAlreadyBegunGetsTheHeadTimeoutNotTheIdleOne() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        deadline.responseFinished(now: 2_000, nextRequestBegun: true, timeouts: Self.timeouts)
        #expect(deadline.wait == .head(until: 12_000))
        #expect(check(&deadline, at: 12_000) == .close(.head))
    }

    @Test func queuedOutputSuspendsTheDeadlinesUntilItStopsMoving() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        deadline.responseFinished(now: 0, nextRequestBegun: false, timeouts: Self.timeouts)
        // Past the idle deadline, but output is queued and moving: kept.
        #expect(deadline.check(now: 15_000, queuedBytes: 100, completedWrites: 1, linger: nil, timeouts: Self.timeouts) == .keep)
        #expect(deadline.check(now: 19_000, queuedBytes: 100, completedWrites: 2, linger: nil, timeouts: Self.timeouts) == .keep)
        // No write completes for more than the write timeout: closed for the write, not the idle.
        #expect(deadline.check(now: 24_000, queuedBytes: 100, completedWrites: 2, linger: nil, timeouts: Self.timeouts) == .keep)
        #expect(deadline.check(now: 24_001, queuedBytes: 100, completedWrites: 2, linger: nil, timeouts: Self.timeouts) == .close(.write))
    }

    @Test func onceTheOutputIsOutTheSuspendedDeadlineApplies() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        deadline.responseFinished(now: 0, nextRequestBegun: false, timeouts: Self.timeouts)
        #expect(deadline.check(now: 16_000, queuedBytes: 100, completedWrites: 1, linger: nil, timeouts: Self.timeouts) == .keep)
        deadline.outputDrained()
        #expect(check(&deadline, at: 16_000) == .close(.idle))
    }

    @Test func aClosingConnectionWaitsForItsLingerAlone() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)  // head due at 10 s
        // Output still queued: the linger has not started (deadline 0), whatever the head's.
        #expect(check(&deadline, at: 50_000, linger: Linger(deadline: 0)) == .keep)
        #expect(check(&deadline, at: 50_000, linger: Linger(deadline: 50_500)) == .keep)
        #expect(check(&deadline, at: 50_500, linger: Linger(deadline: 50_500)) == .close(.linger))
    }

    @Test func aLingerWhoseOutputStopsMovingIsTheWriteTimeouts() {
        var deadline = HTTPConnectionDeadline(now: 0, timeouts: Self.timeouts)
        let linger = Linger(deadline: 0)
        #expect(deadline.check(now: 100, queuedBytes: 10, completedWrites: 0, linger: linger, timeouts: Self.timeouts) == .keep)
        #expect(deadline.check(now: 5_101, queuedBytes: 10, completedWrites: 0, linger: linger, timeouts: Self.timeouts) == .close(.write))
    }
}
