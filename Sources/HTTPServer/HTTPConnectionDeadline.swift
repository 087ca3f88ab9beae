/// The deadline decisions of one HTTP connection, pure: the connection reports what happened,
/// with the loop's `now`, and the server's sweep asks ``check(now:queuedBytes:completedWrites:linger:timeouts:)``
/// for a verdict. The head, idle, write and linger timeouts are so tested with any clock, without
/// a socket or real time.
///
/// One deadline at a time: the head timeout (from the connection's start or a request's first
/// byte until its head, and a collected body, are in), the idle timeout (after a response, until
/// the next request's first byte), or none while a handler has the request. Queued output
/// suspends them: output that stops moving is the write timeout's, and a closing connection's
/// ``Linger`` starts once its output is out.
struct HTTPConnectionDeadline: Equatable {
    /// What the connection waits for, and until when (loop milliseconds).
    enum Wait: Equatable {
        /// A handler has the request: no deadline of ours.
        case handler
        /// The rest of a request's head (and collected body).
        case head(until: UInt64)
        /// The next request on a kept-alive connection.
        case idle(until: UInt64)
    }

    /// Which timeout ran out.
    enum Timeout: String, Equatable {
        case head, idle, write, linger
    }

    /// What the sweep does with the connection.
    enum Verdict: Equatable {
        case keep
        /// A timeout ran out: close the connection.
        case close(Timeout)
    }

    private(set) var wait: Wait
    private var writeProgress = WriteProgress()

    /// A connection accepted at `now`: its first head is due within the head timeout.
    init(now: UInt64, timeouts: HTTPServerTimeouts) {
        wait = .head(until: now + timeouts.head)
    }

    /// The first byte of a new request arrived: the head timeout starts now.
    mutating func requestBegan(now: UInt64, timeouts: HTTPServerTimeouts) {
        wait = .head(until: now + timeouts.head)
    }

    /// A handler has the request (its collected body is complete, or it streams the body, or the
    /// connection became a tunnel): it takes as long as it takes.
    mutating func handlerTookOver() {
        wait = .handler
    }

    /// A response is finished and the connection is kept alive: the next request is due within
    /// the idle timeout, or, when its first bytes are already here, its head within the head timeout.
    mutating func responseFinished(now: UInt64, nextRequestBegun: Bool, timeouts: HTTPServerTimeouts) {
        wait = nextRequestBegun ? .head(until: now + timeouts.head) : .idle(until: now + timeouts.idle)
    }

    /// Every queued byte was written.
    mutating func outputDrained() {
        writeProgress.drained()
    }

    /// The sweep's look at `now`, given the connection's write counters and, closing, its linger.
    mutating func check(
        now: UInt64, queuedBytes: Int, completedWrites: Int, linger: Linger?, timeouts: HTTPServerTimeouts
    ) -> Verdict {
        switch writeProgress.check(queuedBytes: queuedBytes, completedWrites: completedWrites, now: now, timeout: timeouts.write) {
        case .stalled:
            return .close(.write)
        case .waiting:
            return .keep  // deadlines wait until the output is out
        case .idle:
            break
        }
        if let linger {
            return linger.isOver(at: now) ? .close(.linger) : .keep
        }
        switch wait {
        case .handler:
            return .keep
        case .head(let until):
            return now < until ? .keep : .close(.head)
        case .idle(let until):
            return now < until ? .keep : .close(.idle)
        }
    }
}
