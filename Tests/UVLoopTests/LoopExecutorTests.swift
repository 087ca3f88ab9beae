import Testing
import UVLoop

/// What the loop's thread saw of the work other threads queued.
private final class Seen {
    var values: [[Int]] = [[], []]
}

@Suite("UVLoop: LoopExecutor, work from other threads")
struct LoopExecutorTests {
    @Test func workFromOtherThreadsRunsOnTheLoopsThreadInOrder() throws {
        let perThread = 500
        let seen = Seen()
        let offLoop = PthreadLocked(0)
        let refused = PthreadLocked(0)
        var threads: [LoopThread] = []
        try runLoop { loop, finish in
            let executor = loop.executor
            let onLoop = LoopBound(seen, executor: executor)
            let done = LoopBound(finish, executor: executor)
            for thread in 0..<2 {
                threads.append(
                    try LoopThread {
                        for value in 0..<perThread {
                            let queued = executor.execute {
                                guard executor.inLoopThread else {
                                    offLoop.withLock { $0 += 1 }
                                    return
                                }
                                let seen = onLoop.value
                                seen.values[thread].append(value)
                                if seen.values.map(\.count).reduce(0, +) == 2 * perThread { done.value() }
                            }
                            if !queued { refused.withLock { $0 += 1 } }
                        }
                    })
            }
        }
        for thread in threads { thread.join() }
        #expect(offLoop.withLock { $0 } == 0)
        #expect(refused.withLock { $0 } == 0)
        #expect(seen.values[0] == Array(0..<perThread))
        #expect(seen.values[1] == Array(0..<perThread))
    }

    @Test func workQueuedBeforeCloseRunsAtCloseAndLaterWorkIsRefused() throws {
        let loop = try EventLoop()
        loop.run()  // nothing keeps it running: returns at once
        #expect(!loop.inLoopThread)
        let ran = PthreadLocked(false)
        #expect(loop.executor.execute { ran.withLock { $0 = true } })
        #expect(!ran.withLock { $0 })
        expectClosed(loop)
        #expect(ran.withLock { $0 })
        #expect(!loop.executor.execute {})
    }
}
