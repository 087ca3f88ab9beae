import Foundation
import Logging
import UVLoop

/// The cluster layer on the primary loop: two hiredis connections (one subscribed, one for the
/// scripts), the reconnect timer, and ``ClusterState``, whose actions it carries out.
///
/// Loop-bound. Every trigger of the broker comes here (``trigger(path:)``); what reaches this
/// broker's clients leaves through `deliver`, once per epoch, in epoch order. Redis errors,
/// replies of the wrong type, a lost connection: all are one thing, an outage (both connections
/// closed, one log line, reconnect after a backoff with jitter).
final class RedisCluster {
    /// Increments the stored epoch past what anyone holds and publishes, atomically (see
    /// ``ClusterState``). KEYS: epoch key, channel; ARGV: seen, floor, payload.
    static let publishScript = """
        local stored = tonumber(redis.call('GET', KEYS[1])) or 0
        local seen = tonumber(ARGV[1]) or 0
        local floor = tonumber(ARGV[2]) or 0
        local epoch
        if stored <= seen then epoch = math.max(seen + 1, floor) else epoch = math.max(stored, floor) + 1 end
        local text = string.format('%d', epoch)
        redis.call('SET', KEYS[1], text)
        redis.call('PUBLISH', KEYS[2], text .. ' ' .. ARGV[3])
        return epoch
        """
    /// The stored epoch, first raised to `seen` when Redis lost it (restarted without its data).
    static let joinScript = """
        local stored = tonumber(redis.call('GET', KEYS[1])) or 0
        local seen = tonumber(ARGV[1]) or 0
        if stored < seen then redis.call('SET', KEYS[1], string.format('%d', seen)); stored = seen end
        return stored
        """

    private let loop: EventLoop
    private let url: RedisURL
    private let channel: String
    private let key: String
    private let logger: Logger
    private let status: PthreadLocked<ClusterStatus>
    private let deliver: (PendingBroadcast) -> Void
    private let adopt: (Int) -> Void

    private(set) var state: ClusterState
    private var subscriber: RedisConnection?
    private var commands: RedisConnection?
    private var commandsReady = false
    private var subscribed = false
    /// Reconnects after a backoff; while connecting, bounds the handshake.
    private let retryTimer: LoopTimer
    /// While linked: a PING every ``heartbeat`` ms; one still unanswered at the next is an outage.
    private let heartbeatTimer: LoopTimer
    private var pingOutstanding = false
    static let handshakeTimeout: UInt64 = 5000
    static let heartbeat: UInt64 = 5000
    private var attempt = 0
    private var awaySince: UInt64?
    private var isStopped = false
    /// Bumped whenever the connections are replaced: callbacks of older ones are ignored.
    private var generation = 0

    init(
        loop: EventLoop, url: RedisURL, channel: String, origin: String, epoch: Int, logger: Logger,
        status: PthreadLocked<ClusterStatus>, deliver: @escaping (PendingBroadcast) -> Void, adopt: @escaping (Int) -> Void
    ) {
        self.loop = loop
        self.url = url
        self.channel = channel
        self.key = channel + ":epoch"
        self.logger = logger
        self.status = status
        self.deliver = deliver
        self.adopt = adopt
        self.state = ClusterState(origin: origin, epoch: epoch)
        self.retryTimer = LoopTimer(loop: loop)
        self.heartbeatTimer = LoopTimer(loop: loop)
        logger.info("cluster: connecting to \(url.redacted)", metadata: ["channel": "\(channel)"])
        connect()
    }

    // MARK: Triggers and messages

    func trigger(path: String?) {
        perform(state.trigger(path: path))
    }

    private func perform(_ actions: [ClusterState.Action]) {
        for action in actions {
            switch action {
            case .deliver(let broadcast):
                deliver(broadcast)
            case .adopt(let epoch):
                adopt(epoch)
            case .publish(let seen, let floor, let payload):
                let sent = commands?.send(
                    ["EVAL", Self.publishScript, "2", key, channel, String(seen), String(floor), payload]
                ) { [weak self] reply in self?.publishAnswered(reply) }
                if sent != .sent { lose("cannot send to Redis") }
            case .join(let seen):
                let sent = commands?.send(["EVAL", Self.joinScript, "1", key, String(seen)]) { [weak self] reply in
                    self?.joinAnswered(reply)
                }
                if sent != .sent { lose("cannot send to Redis") }
            }
        }
        publishStatus()
    }

    private func publishAnswered(_ reply: RedisReply?) {
        guard let reply else { return }  // the connection ended: `lose` runs from onClose
        guard case .integer(let epoch) = reply, epoch > 0, epoch <= ClusterMessage.maxEpoch else {
            return lose("unexpected answer to the publish script (\(redact(reply.kind)))")
        }
        state.published()
    }

    private func joinAnswered(_ reply: RedisReply?) {
        guard let reply else { return }
        guard case .integer(let stored) = reply, stored >= 0, stored <= ClusterMessage.maxEpoch else {
            return lose("unexpected answer to the join script (\(redact(reply.kind)))")
        }
        perform(state.joined(stored: Int(stored)))
    }

    /// Everything on the subscribed connection: the confirmation first, then messages.
    private func subscription(_ reply: RedisReply) {
        guard case .array(let parts) = reply, parts.count == 3 || parts.count == 4,
            let kind = parts[0].text?.lowercased()
        else {
            return lose("unexpected reply on the subscription (\(redact(reply.kind)))")
        }
        switch (kind, parts.count) {
        case ("subscribe", 3):
            guard parts[1].text == channel, case .integer = parts[2] else {
                return lose("unexpected subscription confirmation")
            }
            subscribed = true
            linkIfReady()
        case ("message", 3):
            guard subscribed, parts[1].text == channel, case .bulk(let bytes) = parts[2] else {
                return lose("unexpected message on the subscription")
            }
            guard let message = ClusterMessage.parse(bytes) else {
                logger.info("cluster: dropped a message that is not the broker's", metadata: ["bytes": "\(bytes.count)"])
                return
            }
            perform(state.received(message))
        default:
            lose("unexpected \(kind.prefix(32)) on the subscription")
        }
    }

    // MARK: Connections

    private func connect() {
        guard !isStopped else { return }
        commandsReady = false
        subscribed = false
        generation += 1
        let current = generation
        let closed: (RedisConnectionError) -> Void = { [weak self] error in
            if let self, self.generation == current { self.lose(error.message) }
        }
        // A server that accepts but never completes the handshake (or the subscription) is an outage too.
        retryTimer.start(after: Self.handshakeTimeout) { [weak self] in
            self?.lose("no complete answer to the handshake within \(Self.handshakeTimeout / 1000) s")
        }
        do throws(RedisConnectionError) {
            commands = try RedisConnection(
                loop: loop, host: url.host, port: url.port,
                onConnect: { [weak self] in self?.handshake(commands: true) }, onClose: closed)
            subscriber = try RedisConnection(
                loop: loop, host: url.host, port: url.port,
                onConnect: { [weak self] in self?.handshake(commands: false) }, onClose: closed)
        } catch {
            lose(error.message)
        }
    }

    /// AUTH and SELECT as the URL asks, then SUBSCRIBE on the subscriber.
    private func handshake(commands isCommands: Bool) {
        guard let connection = isCommands ? commands : subscriber else { return }
        var steps: [[String]] = []
        if let password = url.password {
            steps.append(url.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if url.database != 0 { steps.append(["SELECT", String(url.database)]) }
        for (index, step) in steps.enumerated() {
            let isLast = index == steps.count - 1
            let sent = connection.send(step) { [weak self] reply in
                guard let self, let reply else { return }
                guard case .status(let text) = reply, text == "OK" else {
                    // Never the AUTH arguments; Redis' own error text, redacted all the same.
                    return self.lose("\(step[0]) refused (\(self.redact(reply.kind)))")
                }
                if isLast { self.handshakeDone(commands: isCommands) }
            }
            if sent != .sent { return lose("cannot send to Redis") }
        }
        if steps.isEmpty { handshakeDone(commands: isCommands) }
    }

    private func handshakeDone(commands isCommands: Bool) {
        if isCommands {
            commandsReady = true
            linkIfReady()
        } else if let subscriber, subscriber.subscribe(channel, handler: { [weak self] in self?.subscription($0) }) != .sent {
            lose("cannot subscribe")
        }
    }

    private func linkIfReady() {
        guard commandsReady, subscribed, state.link != .linked else { return }
        attempt = 0
        if let since = awaySince {
            let seconds = Double(loop.now - since) / 1000
            logger.info(
                "cluster: Redis at \(url.redacted) is back after \(Self.format(seconds)) s; catching up",
                metadata: ["channel": "\(channel)"])
        } else {
            logger.info("cluster: connected to \(url.redacted)", metadata: ["channel": "\(channel)"])
        }
        awaySince = nil
        retryTimer.stop()
        pingOutstanding = false
        heartbeatTimer.start(after: Self.heartbeat, repeatEvery: Self.heartbeat) { [weak self] in self?.beat() }
        status.withLock { $0.lastError = nil }
        perform(state.linked())
    }

    private func beat() {
        guard state.link == .linked, let commands else { return }
        guard !pingOutstanding else { return lose("Redis stopped answering (no PONG within \(Self.heartbeat / 1000) s)") }
        pingOutstanding = true
        let sent = commands.send(["PING"]) { [weak self] reply in
            guard let self, let reply else { return }
            guard case .status("PONG") = reply else { return self.lose("unexpected answer to PING (\(self.redact(reply.kind)))") }
            self.pingOutstanding = false
        }
        if sent != .sent { lose("cannot send to Redis") }
    }

    /// The link is gone (or unusable): close both connections, deliver what was unconfirmed, retry later.
    private func lose(_ reason: String) {
        guard !isStopped else { return }
        let reason = redact(reason)
        let (actions, outage) = state.lost()
        if outage == .started {
            awaySince = loop.now
            logger.info(
                "cluster: Redis at \(url.redacted) is unreachable (\(reason)); delivering locally, retrying with backoff",
                metadata: ["channel": "\(channel)"])
        }
        status.withLock { $0.lastError = reason }
        heartbeatTimer.stop()
        closeConnections(reason: reason)
        perform(actions)
        scheduleRetry()
    }

    private func closeConnections(reason: String) {
        generation += 1
        let open = [commands, subscriber]
        commands = nil
        subscriber = nil
        commandsReady = false
        subscribed = false
        for connection in open { connection?.close(reason: reason) }
    }

    /// Backoff from 100 ms doubling to 5 s, each delay between half and all of it (jitter).
    private func scheduleRetry() {
        guard !isStopped, !retryTimer.isClosing else { return }
        let ceiling = min(5000, 100 << min(attempt, 6))
        attempt += 1
        let delay = UInt64(ceiling / 2 + Int.random(in: 0...(ceiling / 2)))
        retryTimer.start(after: delay) { [weak self] in self?.connect() }
    }

    private func publishStatus() {
        let state = self.state
        status.withLock { status in
            status.state = state.link
            status.lastEpoch = state.seen
            status.outages = state.outages
        }
    }

    /// Removes the password from any text that might echo it (a hostile server could).
    private func redact(_ text: String) -> String {
        guard let password = url.password, !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: "***")
    }

    private static func format(_ seconds: Double) -> String {
        String(Int(seconds * 10) / 10) + "." + String(Int(seconds * 10) % 10)
    }

    /// Closes everything (the loop can end once hiredis' handles are closed).
    func stop() {
        guard !isStopped else { return }
        isStopped = true
        retryTimer.close()
        heartbeatTimer.close()
        closeConnections(reason: "broker stopping")
    }
}
