#if canImport(Glibc)
import Glibc
#endif
import ReloadBroker
import Testing

/// Regression test for the soak finding: the release broker died with status 141 (SIGPIPE) under
/// client churn, because libuv writes with write(2) and a write to a connection the peer had reset
/// raised SIGPIPE, whose default action ends the process. A running broker must ignore SIGPIPE.
@Suite("SIGPIPE")
struct SIGPIPETests {
    @Test func aRunningBrokerIgnoresSIGPIPE() throws {
        try withBroker { _ throws in
            var current = sigaction()
            #expect(sigaction(SIGPIPE, nil, &current) == 0)
            // SIG_IGN is the handler value 1 (not importable as a Swift constant).
            let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
            #expect(handler == 1, "SIGPIPE is not ignored: a write to a reset connection would kill the process")
            // And behaviourally: writing to a socket whose write side is shut down fails with EPIPE.
            var pair: [Int32] = [0, 0]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            defer { close(pair[0]); close(pair[1]) }
            shutdown(pair[0], Int32(SHUT_WR))
            var byte: UInt8 = 0x2A
            #expect(write(pair[0], &byte, 1) == -1)
            #expect(errno == EPIPE)
        }
    }
}
