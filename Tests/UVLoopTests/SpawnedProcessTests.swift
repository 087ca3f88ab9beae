#if canImport(Glibc)
import Glibc
#endif
import Testing
import UVLoop

@Suite("UVLoop: child processes")
struct SpawnedProcessTests {
    @Test func anExitStatusIsReportedAndTheHandleClosesItself() throws {
        var exit: SpawnedProcess.Exit?
        var pid: Int32 = 0
        try runLoop { loop, finish in
            let child = try SpawnedProcess(loop: loop, arguments: ["/bin/sh", "-c", "exit 3"]) { ended in
                exit = ended
                finish()
            }
            pid = child.pid
        }
        #expect(pid > 0)
        #expect(exit == .exited(status: 3))
    }

    @Test func aSignalledChildReportsTheSignal() throws {
        var exit: SpawnedProcess.Exit?
        var signalledAfterExit = true
        try runLoop { loop, finish in
            var child: SpawnedProcess?
            child = try SpawnedProcess(loop: loop, arguments: ["sleep", "30"]) { ended in
                exit = ended
                signalledAfterExit = child?.signal(SIGTERM) ?? true
                finish()
            }
            #expect(child?.signal(SIGTERM) == true)
        }
        #expect(exit == .killed(signal: SIGTERM))
        #expect(!signalledAfterExit)  // gone: nothing is sent
    }

    @Test func capturedOutputArrivesAndThePipesCloseAtItsEnd() throws {
        var output: [OutputPipe.Stream: [UInt8]] = [:]
        var exit: SpawnedProcess.Exit?
        try runLoop { loop, finish in
            _ = try SpawnedProcess(
                loop: loop, arguments: ["/bin/sh", "-c", "printf 'uvloop-test out\\n'; printf 'uvloop-test err\\n' >&2"],
                onOutput: { stream, bytes in
                    for index in bytes.indices { output[stream, default: []].append(bytes[index]) }
                },
                onExit: { ended in
                    exit = ended
                    // The pipes may still hold output: the loop runs until they close at end of input.
                    finish()
                })
        }
        #expect(exit == .exited(status: 0))
        #expect(String(decoding: output[.standardOutput] ?? [], as: UTF8.self) == "uvloop-test out\n")
        #expect(String(decoding: output[.standardError] ?? [], as: UTF8.self) == "uvloop-test err\n")
    }

    @Test func theDefaultEnvironmentFillsOnlyWhatIsMissing() throws {
        var output: [UInt8] = []
        try runLoop { loop, finish in
            _ = try SpawnedProcess(
                loop: loop, arguments: ["/bin/sh", "-c", "printf '%s %s' \"$UVLOOP_TEST_VALUE\" \"$PATH\""],
                defaultEnvironment: ["UVLOOP_TEST_VALUE": "filled", "PATH": "/nowhere"],
                onOutput: { _, bytes in for index in bytes.indices { output.append(bytes[index]) } },
                onExit: { _ in finish() })
        }
        // PATH is set in the test process: the default does not replace it.
        let path = try #require(getenv("PATH").map { String(cString: $0) })
        #expect(String(decoding: output, as: UTF8.self) == "filled \(path)")
    }

    @Test(arguments: [false, true])
    func aProgramThatIsNotThereIsAnErrorAndLeavesNothingOpen(capturesOutput: Bool) throws {
        try runLoop { loop, finish in
            #expect(throws: UVError.self) {
                _ = try SpawnedProcess(
                    loop: loop, arguments: ["/nonexistent/uvloop-test-program"],
                    onOutput: capturesOutput ? { _, _ in } : nil, onExit: { _ in })
            }
            finish()
        }
    }
}
