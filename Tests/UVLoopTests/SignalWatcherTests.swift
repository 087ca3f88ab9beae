#if canImport(Glibc)
import Glibc
#endif
import Testing
import UVLoop

@Suite("UVLoop: signal watchers")
struct SignalWatcherTests {
    @Test func aSignalRaisedInTheLoopsThreadIsDeliveredOnTheLoop() throws {
        var received: [Int32] = []
        var onLoop = false
        try runLoop { loop, finish in
            var watcher: SignalWatcher?
            // SIGUSR2: nothing else in the test process uses it.
            watcher = try SignalWatcher(loop: loop, signal: SIGUSR2) { signal in
                received.append(signal)
                onLoop = loop.inLoopThread
                watcher?.close()
                finish()
            }
            #expect(raise(SIGUSR2) == 0)
            #expect(received.isEmpty)  // delivered by the loop, not in the handler
        }
        #expect(received == [SIGUSR2])
        #expect(onLoop)
    }

    @Test func anInvalidSignalIsAnErrorAndLeavesNothingOpen() throws {
        try runLoop { loop, finish in
            #expect(throws: UVError.self) { try SignalWatcher(loop: loop, signal: 0) { _ in } }
            finish()
        }
    }
}
