#if canImport(Glibc)
import Glibc
#endif
import CLibUV
import CRedisShim

/// Why a Redis connection could not start or ended.
public struct RedisConnectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Whether a command was handed to hiredis.
public enum RedisSendResult: Sendable, Equatable {
    /// Queued: its reply (or `nil`, when the connection ends first) will come.
    case sent
    /// Not connected (yet or any more): nothing will come back.
    case refused
}

/// One non-blocking hiredis connection on the loop (hiredis' libuv adapter, `redisLibuvAttach`).
///
/// Loop-bound. Commands are sent as argument vectors (no format strings) and each reply comes
/// back as a ``RedisReply`` copied out of hiredis; `nil` means the connection ended before the
/// reply. A subscription's messages go to the handler given to ``subscribe(_:handler:)``.
/// `onClose` runs once, when the connection ends for any reason (refused, timed out, lost,
/// ``close(reason:)``); after it the object is inert. The connection keeps itself alive while
/// hiredis may call back into it.
///
/// Limits: hiredis builds replies through the shim's bounded functions (arrays up to 1,024
/// elements, strings up to 1 MiB); a reply still arriving that holds more than
/// ``maxBufferedBytes`` ends the connection, as does a connect that takes longer than its timeout.
public final class RedisConnection {
    public static let maxBufferedBytes = 2 * 1024 * 1024

    public private(set) var isConnected = false
    public private(set) var isClosed = false

    private var context: UnsafeMutablePointer<redisAsyncContext>?
    private let watchdog: LoopTimer
    private let connectDeadline: UInt64
    private let onConnect: () -> Void
    private var onClose: ((RedisConnectionError) -> Void)?
    private var subscriptionHandler: ((RedisReply) -> Void)?
    private var pending: [UInt: (RedisReply?) -> Void] = [:]
    private var nextTag: UInt = 1
    private var inConnectCallback = false
    /// Set by ``close(reason:)`` at once, even when the free itself waits for the next tick.
    private var closeRequested = false
    private var keepAlive: RedisConnection?

    /// Starts connecting to host:port (an IP literal or a name hiredis resolves). `onConnect`
    /// runs once connected; `onClose` once it ends (also when the connect fails).
    public init(
        loop: EventLoop, host: String, port: Int, connectTimeout: UInt64 = 3000,
        onConnect: @escaping () -> Void, onClose: @escaping (RedisConnectionError) -> Void
    ) throws(RedisConnectionError) {
        self.onConnect = onConnect
        self.onClose = onClose
        self.watchdog = LoopTimer(loop: loop)
        self.connectDeadline = loop.now + connectTimeout
        var text = [CChar](repeating: 0, count: 128)
        guard let context = rb_redis_connect(host, Int32(clamping: port), loop.raw, &text, text.count) else {
            watchdog.close()
            throw RedisConnectionError(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.context = context
        context.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        keepAlive = self
        redisAsyncSetConnectCallback(context) { context, status in
            guard let object = RedisConnection.object(context) else { return }
            object.didConnect(status: status, context: context)
        }
        redisAsyncSetDisconnectCallback(context) { context, status in
            guard let object = RedisConnection.object(context) else { return }
            object.didDisconnect(RedisConnectionError(RedisConnection.errorText(context, fallback: "connection closed")))
        }
        watchdog.start(after: 100, repeatEvery: 100) { [unowned self] in self.check() }
    }

    private static func object(_ context: UnsafePointer<redisAsyncContext>?) -> RedisConnection? {
        guard let data = context?.pointee.data else { return nil }
        return Unmanaged<RedisConnection>.fromOpaque(data).takeUnretainedValue()
    }

    private static func errorText(_ context: UnsafePointer<redisAsyncContext>?, fallback: String) -> String {
        guard let context, let text = rb_redis_error(context) else { return fallback }
        let message = String(cString: text)
        return message.isEmpty ? fallback : message
    }

    private func didConnect(status: Int32, context: UnsafePointer<redisAsyncContext>?) {
        guard status == REDIS_OK else {
            // hiredis frees the context right after this callback, without a disconnect callback.
            detach(RedisConnectionError(Self.errorText(context, fallback: "connect failed")))
            return
        }
        isConnected = true
        inConnectCallback = true
        onConnect()
        inConnectCallback = false
    }

    private func didDisconnect(_ error: RedisConnectionError) {
        detach(error)
    }

    /// The context is gone (or going): forget it, fail what waits, tell the owner once.
    private func detach(_ error: RedisConnectionError) {
        context?.pointee.data = nil
        context = nil
        isConnected = false
        isClosed = true
        watchdog.close()
        let waiting = pending
        pending = [:]
        subscriptionHandler = nil
        for tag in waiting.keys.sorted() { waiting[tag]?(nil) }
        let onClose = self.onClose
        self.onClose = nil
        onClose?(error)
        keepAlive = nil
    }

    /// Every 100 ms: the socket's pending error (see `rb_redis_socket_error`), the connect
    /// deadline, the size of a reply still arriving.
    private func check() {
        guard let context, !isClosed else { return }
        let error = rb_redis_socket_error(context)
        if error != 0 {
            close(reason: String(cString: strerror(error)))
        } else if !isConnected, loop.now >= connectDeadline {
            close(reason: "connect timed out")
        } else if rb_redis_buffered(context) > Self.maxBufferedBytes {
            close(reason: "reply larger than \(Self.maxBufferedBytes) bytes")
        }
    }

    private var loop: EventLoop { watchdog.loop }

    /// Ends the connection (idempotent): pending replies get `nil`, then `onClose` runs with `reason`.
    public func close(reason: String) {
        guard let context, !isClosed else { return }
        closeRequested = true
        if inConnectCallback {
            // hiredis still uses the context after its connect callback returns: free it next tick.
            watchdog.start(after: 0) { [unowned self] in self.close(reason: reason) }
            return
        }
        context.pointee.data = nil
        self.context = nil  // freed below (at once, or by hiredis after its callback): never touched again
        redisAsyncFree(context)  // safe inside reply callbacks: hiredis defers it
        detach(RedisConnectionError(reason))
    }

    /// Sends one command; `reply` gets its reply, or `nil` when the connection ends first.
    /// `.refused` (and `reply` never called) when the connection cannot take commands.
    @discardableResult
    public func send(_ arguments: [String], reply: @escaping (RedisReply?) -> Void) -> RedisSendResult {
        let tag = nextTag
        nextTag &+= 1
        guard dispatch(arguments, tag: tag) == .sent else { return .refused }
        pending[tag] = reply
        return .sent
    }

    /// Subscribes to one channel; `handler` gets every reply on it (the confirmation, then messages).
    @discardableResult
    public func subscribe(_ channel: String, handler: @escaping (RedisReply) -> Void) -> RedisSendResult {
        guard dispatch(["SUBSCRIBE", channel], tag: 0) == .sent else { return .refused }
        subscriptionHandler = handler
        return .sent
    }

    private func dispatch(_ arguments: [String], tag: UInt) -> RedisSendResult {
        guard let context, isConnected, !isClosed, !closeRequested, !arguments.isEmpty else { return .refused }
        let parts = arguments.map { Array($0.utf8) }
        let bytes = parts.flatMap { $0 }
        let lengths = parts.map(\.count)
        let status: Int32 = bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            var offset = 0
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(parts.count)
            for length in lengths {
                pointers.append(base.map { $0 + offset })
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisAsyncCommandArgv(
                        context, { context, reply, privdata in
                            guard let object = RedisConnection.object(context) else { return }
                            let value = reply.map { RedisReply(UnsafePointer($0.assumingMemoryBound(to: redisReply.self))) }
                            object.received(value, tag: UInt(bitPattern: privdata))
                        }, UnsafeMutableRawPointer(bitPattern: tag), Int32(parts.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
        return status == REDIS_OK ? .sent : .refused
    }

    private func received(_ reply: RedisReply?, tag: UInt) {
        guard !isClosed, !closeRequested else { return }
        if tag == 0 {
            if let reply { subscriptionHandler?(reply) }
        } else if let callback = pending.removeValue(forKey: tag) {
            callback(reply)
        }
    }
}
