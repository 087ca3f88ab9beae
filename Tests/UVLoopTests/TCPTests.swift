import Testing
import UVLoop

/// Listens on 127.0.0.1 (accepted connections read into `server`) and connects a client to it;
/// `connected` gets the client's connection. A failed connect is recorded and ends the test.
private func startPair(
    _ loop: EventLoop, server: RecordingPeer, finish: @escaping () -> Void,
    accepted: @escaping (TCPConnection) -> Void = { _ in }, connected: @escaping (TCPConnection) -> Void
) throws -> TCPListener {
    let listener = try TCPListener(loop: loop, host: "127.0.0.1", port: 0)
    try listener.listen { connection in
        accepted(connection)
        connection.delegate = server
        connection.startReading()
    }
    TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.localPort) { result in
        switch result {
        case .success(let connection):
            connected(connection)
        case .failure(let error):
            Issue.record("connect failed: \(error)")
            listener.close()
            finish()
        }
    }
    return listener
}

@Suite("UVLoop: TCP listener and connections on 127.0.0.1")
struct TCPTests {
    @Test func aClientAndAServerExchangeBytesHalfCloseAndClose() throws {
        let server = RecordingPeer(), client = RecordingPeer()
        var accepted = 0
        var serverSawPeer: String?
        var writes: [TCPConnection.WriteResult] = []
        try runLoop { loop, finish in
            let listener = try startPair(
                loop, server: server, finish: finish,
                accepted: { connection in
                    accepted += 1
                    serverSawPeer = connection.peerAddress
                },
                connected: { connection in
                    connection.delegate = client
                    connection.setNoDelay(true)
                    connection.startReading()
                    #expect(connection.isReading)
                    writes.append(connection.write(Array("hello".utf8)))
                    connection.shutdown()
                })
            // The server answers at the client's EOF, then closes: the client reads it, then EOF.
            server.onEnd = { [unowned server] connection in  // unowned: the peer keeps this closure
                writes.append(connection.write(Array("echo: ".utf8) + server.received))
                connection.close()
            }
            client.onEnd = { $0.close() }
            client.onClose = {
                listener.close()
                finish()
            }
        }
        #expect(accepted == 1)
        #expect(serverSawPeer?.hasPrefix("127.0.0.1:") == true)
        #expect(writes == [.written, .written])
        #expect(String(decoding: server.received, as: UTF8.self) == "hello")
        #expect(server.sawEnd)
        #expect(String(decoding: client.received, as: UTF8.self) == "echo: hello")
        #expect(client.sawEnd)
        // Each closed once, by its owner (no error).
        #expect(server.closes == 1 && server.closeError == nil)
        #expect(client.closes == 1 && client.closeError == nil)
    }

    @Test func aWriteTheKernelCannotTakeAtOnceIsQueuedThenDrains() throws {
        let size = 32 << 20  // far past any loopback send buffer
        let server = RecordingPeer(keepsBytes: false), client = RecordingPeer()
        var result: TCPConnection.WriteResult?
        var queuedAtFirst = 0
        var queuedAtDrain = -1
        var completedWrites = 0
        try runLoop(timeout: 30_000) { loop, finish in
            let listener = try startPair(loop, server: server, finish: finish) { connection in
                connection.delegate = client
                connection.startReading()
                result = connection.write(SharedBuffer([UInt8](repeating: 0x61, count: size)))
                queuedAtFirst = connection.queuedBytes
            }
            server.onEnd = { $0.close() }
            client.onDrain = { connection in
                queuedAtDrain = connection.queuedBytes
                completedWrites = connection.completedWrites
                connection.shutdown()
            }
            client.onEnd = { $0.close() }
            client.onClose = {
                listener.close()
                finish()
            }
        }
        #expect(result == .queued)
        #expect(queuedAtFirst > 0 && queuedAtFirst <= size)
        #expect(client.drains == 1)
        #expect(queuedAtDrain == 0)
        #expect(completedWrites == 1)
        #expect(server.receivedCount == size)
        #expect(server.closes == 1 && server.closeError == nil)
        #expect(client.closes == 1 && client.closeError == nil)
    }

    @Test func aWriteAfterCloseFailsAndWritesNothing() throws {
        var result: TCPConnection.WriteResult?
        let server = RecordingPeer()
        try runLoop { loop, finish in
            let listener = try startPair(loop, server: server, finish: finish) { connection in
                connection.close()
                result = connection.write(Array("late".utf8))
                #expect(connection.isClosing)
                #expect(connection.peerAddress == nil)
            }
            server.onEnd = { $0.close() }
            server.onClose = {
                listener.close()
                finish()
            }
        }
        #expect(result == .failed)
        #expect(server.sawEnd)
        #expect(server.received.isEmpty)
    }

    @Test func connectingWhereNothingListensFailsAndLeavesNothingOpen() throws {
        var error: UVError?
        try runLoop { loop, finish in
            // A port that was free a moment ago: bound, then closed (its socket is closed at once).
            let probe = try TCPListener(loop: loop, host: "127.0.0.1", port: 0)
            let port = probe.localPort
            probe.close()
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
                if case .failure(let failure) = result { error = failure }
                finish()
            }
        }
        #expect(error?.name == "ECONNREFUSED")
    }

    @Test func aPortInUseIsAddressInUseAndLeavesNothingOpen() throws {
        var error: UVError?
        try runLoop { loop, finish in
            let first = try TCPListener(loop: loop, host: "127.0.0.1", port: 0)
            try first.listen { $0.close() }
            // libuv reports EADDRINUSE from bind or, deferred, from listen: either way, an error.
            do throws(UVError) {
                let second = try TCPListener(loop: loop, host: "127.0.0.1", port: first.localPort)
                do throws(UVError) {
                    try second.listen { $0.close() }
                } catch let failure {
                    error = failure
                }
                second.close()
            } catch let failure {
                error = failure
            }
            first.close()
            finish()
        }
        #expect(error?.isAddressInUse == true)
    }

    @Test(arguments: ["example.com", "127.0.0.256", "", "[::1"])
    func aHostThatIsNoAddressIsRefusedBeforeAnyHandle(host: String) throws {
        try runLoop { loop, finish in
            #expect(throws: UVError.self) { try TCPListener(loop: loop, host: host, port: 0) }
            var failed = false
            TCPConnection.connect(loop: loop, host: host, port: 80) { result in
                if case .failure = result { failed = true }
            }
            #expect(failed)  // at once, not later
            finish()
        }
    }
}
