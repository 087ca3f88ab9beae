import ReloadBroker

/// Waits (bounded: 3000 checks, 30 s) until the broker has `count` WebSocket clients: the broker
/// tells its client count only when asked.
public func waitForClients(_ broker: ReloadBroker, _ count: Int) async throws {
    for _ in 0..<3000 where broker.connectedClients != count {
        try await Task.sleep(for: .milliseconds(10))
    }
    guard broker.connectedClients == count else {
        throw BrowserHarnessError("the broker has \(broker.connectedClients) client(s), not \(count)")
    }
}
