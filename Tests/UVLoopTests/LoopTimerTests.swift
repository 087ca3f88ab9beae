import Testing
import UVLoop

@Suite("UVLoop: timers")
struct LoopTimerTests {
    @Test func oneShotRepeatingRestartedAndStoppedTimers() throws {
        var fired: [String] = []
        var ticks = 0
        try runLoop { loop, finish in
            let once = LoopTimer(loop: loop)
            once.start(after: 0) {
                fired.append("once")
                once.close()
            }
            // Started again before it fired: only the second callback runs.
            let restarted = LoopTimer(loop: loop)
            restarted.start(after: 3_600_000) { fired.append("first start") }
            restarted.start(after: 0) {
                fired.append("restart")
                restarted.close()
            }
            let stopped = LoopTimer(loop: loop)
            stopped.start(after: 0) { fired.append("stopped") }
            stopped.stop()
            let never = LoopTimer(loop: loop)
            never.start(after: 3_600_000) { fired.append("never") }
            let repeating = LoopTimer(loop: loop)
            repeating.start(after: 1, repeatEvery: 1) {
                ticks += 1
                guard ticks == 5 else { return }
                // Closing a stopped timer and one still waiting: neither fires afterwards.
                for timer in [repeating, stopped, never] { timer.close() }
                finish()
            }
        }
        #expect(fired.sorted() == ["once", "restart"])
        #expect(ticks == 5)
    }

    @Test func timersDueTogetherFireInTheOrderTheyWereStarted() throws {
        var order: [Int] = []
        try runLoop { loop, finish in
            for index in 0..<5 {
                let timer = LoopTimer(loop: loop)
                timer.start(after: 1) {
                    order.append(index)
                    timer.close()
                    if order.count == 5 { finish() }
                }
            }
        }
        #expect(order == [0, 1, 2, 3, 4])
    }

    @Test func closeIsIdempotentAndAClosedTimerCanBeStopped() throws {
        var closing = false
        try runLoop { loop, finish in
            let timer = LoopTimer(loop: loop)
            timer.close()
            timer.close()
            timer.stop()
            closing = timer.isClosing
            finish()
        }
        #expect(closing)
    }

    @Test func anUnrefedTimerDoesNotKeepTheLoopRunning() throws {
        let loop = try EventLoop()
        let timer = LoopTimer(loop: loop)
        var fired = false
        // Were unref broken, run() would return only when this fires (bounded: 20 s), and fail.
        timer.start(after: 20_000) { fired = true }
        timer.unref()
        loop.run()
        #expect(!fired)
        timer.close()
        expectClosed(loop)
    }

    @Test func aTimerLeftOpenIsReportedByName() throws {
        let loop = try EventLoop()
        let timer = LoopTimer(loop: loop)
        loop.run()  // an idle timer keeps nothing running
        #expect(loop.closeReportingOpenHandles() == .handlesStillOpen(["timer"]))
        // The loop is still usable: close the handle, and then it closes.
        timer.close()
        expectClosed(loop)
        #expect(loop.isClosed)
    }
}
