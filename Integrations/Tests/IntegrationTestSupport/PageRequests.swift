/// Counts the requests an app's test page gets and lets a test await the n-th one, with a
/// deadline: the route calls ``record()``, the test awaits ``waitFor(_:timeout:)``.
public actor PageRequests {
    private var count = 0
    private var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    public init() {}

    /// How many requests the page got so far.
    public var total: Int { count }

    /// One more request.
    public func record() {
        count += 1
        let ready = waiters.filter { $0.count <= count }
        waiters.removeAll { $0.count <= count }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Returns once the page has had `target` requests; throws after `timeout`.
    public func waitFor(_ target: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(target)
        }
        defer { deadline.cancel() }
        if count < target {
            await withCheckedContinuation { waiters.append((target, $0)) }
        }
        guard count >= target else {
            throw BrowserHarnessError("the page had \(count) request(s), not \(target), within \(timeout)")
        }
    }

    /// The deadline passed: wakes the waiters for `target` (they find the count short).
    private func expire(_ target: Int) {
        let expired = waiters.filter { $0.count == target }
        waiters.removeAll { $0.count == target }
        for waiter in expired { waiter.continuation.resume() }
    }
}
