import CLibUV

/// What a ``TCPConnection`` tells its owner. All calls happen on the loop's thread.
public protocol TCPConnectionDelegate: AnyObject {
    /// Bytes arrived. They live in the loop's shared read buffer: use or copy
    /// them before returning.
    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>)
    /// The peer shut down its sending side (EOF); writes are still possible.
    func connectionDidReachEndOfInput(_ connection: TCPConnection)
    /// Every queued write has reached the kernel.
    func connectionDidDrain(_ connection: TCPConnection)
    /// The connection is closed; `error` tells why when it was not ``TCPConnection/close()``.
    func connectionDidClose(_ connection: TCPConnection, error: UVError?)
}

/// An accepted TCP connection (`uv_tcp_t`).
///
/// Writes are tried directly (`uv_try_write`); only what the kernel does not
/// take at once is queued as a `uv_write_t` that keeps its ``SharedBuffer``
/// alive until the write callback. ``queuedBytes`` is the backpressure signal.
public final class TCPConnection: LoopHandle {
    /// The owner; released when the connection closes.
    public var delegate: (any TCPConnectionDelegate)?
    /// Bytes handed to libuv that have not reached the kernel yet.
    public var queuedBytes: Int { queuedByteCount }
    /// Queued writes completed so far (a progress counter for stall detection).
    public var completedWrites: Int { completedWriteCount }
    // Private storage behind public getters: other modules (the sweeps read both of every
    // connection, thousands per tick) call a getter instead of reading a public stored class
    // property, which costs a dynamic exclusivity check per read; within UVLoop every access is
    // instantaneous, so the optimizer drops the check.
    private var queuedByteCount = 0
    private var completedWriteCount = 0
    private var closeError: UVError?

    /// What happened to one write.
    public enum WriteResult: Equatable, Sendable {
        /// All bytes reached the kernel.
        case written
        /// Some bytes were queued; ``TCPConnectionDelegate/connectionDidDrain(_:)`` follows.
        case queued
        /// The connection is closed or closing; nothing was written.
        case failed
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { OpaquePointer(handle).assumingMemory(uv_stream_t.self) }
    var tcp: UnsafeMutablePointer<uv_tcp_t> { OpaquePointer(handle).assumingMemory(uv_tcp_t.self) }

    init(loop: EventLoop) {
        super.init(loop: loop, type: UV_TCP)
        uv_tcp_init(loop.raw, tcp)  // cannot fail with AF_UNSPEC
        attach()
    }

    /// Whether reads are being delivered.
    public private(set) var isReading = false

    /// Starts delivering reads to the delegate (no-op when already reading).
    public func startReading() {
        guard !isClosing, !isReading else { return }
        isReading = true
        let status = EventLoop.startReading(stream) { stream, count, buffer in
            let connection = LoopHandle.object(stream!.pointee.data, as: TCPConnection.self)
            connection.didRead(count: count, base: buffer!.pointee.base)
        }
        if status < 0 { fail(UVError(code: status, operation: "uv_read_start")) }
    }

    /// Stops delivering reads (backpressure towards the peer).
    public func stopReading() {
        guard !isClosing, isReading else { return }
        isReading = false
        uv_read_stop(stream)
    }

    private func didRead(count: Int, base: UnsafeMutablePointer<CChar>?) {
        if count > 0 {
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(base!).assumingMemoryBound(to: UInt8.self), count: count)
            delegate?.connection(self, didRead: bytes.span)
        } else if count < 0 {
            let error = UVError(code: Int32(count), operation: "read")
            if error.isEndOfFile {
                isReading = false
                uv_read_stop(stream)
                delegate?.connectionDidReachEndOfInput(self)
            } else {
                fail(error)
            }
        }
    }

    /// Writes a shared buffer: directly when possible, else queued without copying.
    @discardableResult
    public func write(_ buffer: SharedBuffer) -> WriteResult {
        guard !isClosing else { return .failed }
        guard buffer.count <= Int(UInt32.max) else {
            fail(UVError(code: UV_E2BIG.rawValue, operation: "write of \(buffer.count) bytes"))
            return .failed
        }
        var offset = 0
        if queuedByteCount == 0 {
            var descriptor = uv_buf_init(
                buffer.storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(buffer.count))
            let written = Int(uv_try_write(stream, &descriptor, 1))
            if written == buffer.count { return .written }
            if written >= 0 {
                offset = written
            } else if written != Int(UV_EAGAIN.rawValue) {
                fail(UVError(code: Int32(written), operation: "uv_try_write"))
                return .failed
            }
        }
        return enqueue(buffer, from: offset) ? .queued : .failed
    }

    /// Writes bytes (copied once into a ``SharedBuffer``).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> WriteResult {
        write(SharedBuffer(bytes))
    }

    private func enqueue(_ buffer: SharedBuffer, from offset: Int) -> Bool {
        let request = WriteRequest(connection: self, buffer: buffer, offset: offset)
        var descriptor = uv_buf_init(
            (buffer.storage.baseAddress! + offset).assumingMemoryBound(to: CChar.self),
            UInt32(buffer.count - offset))
        request.raw.pointee.data = Unmanaged.passRetained(request).toOpaque()
        let status = uv_write(request.raw, stream, &descriptor, 1) { raw, status in
            let request = Unmanaged<WriteRequest>.fromOpaque(raw!.pointee.data).takeRetainedValue()
            request.connection.didWrite(request.length, status: status)
        }
        if status < 0 {
            Unmanaged<WriteRequest>.fromOpaque(request.raw.pointee.data).release()
            fail(UVError(code: status, operation: "uv_write"))
            return false
        }
        queuedByteCount += request.length
        return true
    }

    private func didWrite(_ length: Int, status: Int32) {
        queuedByteCount -= length
        completedWriteCount &+= 1
        if status < 0 {
            let error = UVError(code: status, operation: "write")
            if !error.isCancelled { fail(error) }
        } else if queuedByteCount == 0, !isClosing {
            delegate?.connectionDidDrain(self)
        }
    }

    /// Half-closes after every queued write went out (`uv_shutdown`).
    public func shutdown() {
        guard !isClosing else { return }
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let status = uv_shutdown(request, stream) { request, _ in request!.deallocate() }
        if status < 0 { request.deallocate() }
    }

    /// Disables Nagle's algorithm (`uv_tcp_nodelay`).
    public func setNoDelay(_ enabled: Bool) {
        guard !isClosing else { return }
        uv_tcp_nodelay(tcp, enabled ? 1 : 0)
    }

    /// The peer's address as text (`127.0.0.1:50312`, `[::1]:50312`), nil when unknown.
    public var peerAddress: String? {
        guard !isClosing else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(tcp, $0, &length) }
        }
        guard status == 0 else { return nil }
        return SocketAddress.describe(&storage)
    }

    private func fail(_ error: UVError) {
        if closeError == nil { closeError = error }
        close()
    }

    override func didClose() {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.connectionDidClose(self, error: closeError)
    }
}

/// One queued write: keeps its buffer alive until libuv's write callback.
private final class WriteRequest {
    let raw = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
    let connection: TCPConnection
    let buffer: SharedBuffer
    let length: Int

    init(connection: TCPConnection, buffer: SharedBuffer, offset: Int) {
        self.connection = connection
        self.buffer = buffer
        self.length = buffer.count - offset
    }

    deinit { raw.deallocate() }
}

/// A listening TCP socket (`uv_tcp_t` + `uv_listen`).
public final class TCPListener: LoopHandle {
    private var onConnection: ((TCPConnection) -> Void)?
    private var tcp: UnsafeMutablePointer<uv_tcp_t> { OpaquePointer(handle).assumingMemory(uv_tcp_t.self) }

    /// Binds to `host` (an IPv4 or IPv6 literal, or `localhost`) and `port` (0: any free port).
    /// `reusePort` sets `SO_REUSEPORT` so several loops can each bind the same port
    /// (libuv 1.44 has no flag for it, so it is set on the raw socket).
    public init(loop: EventLoop, host: String, port: Int, reusePort: Bool = false) throws(UVError) {
        let address = try SocketAddress(host: host, port: port)
        super.init(loop: loop, type: UV_TCP)
        let status = uv_tcp_init_ex(loop.raw, tcp, UInt32(address.family))
        if status < 0 {
            discardUninitialized()
            throw UVError(code: status, operation: "uv_tcp_init_ex")
        }
        attach()
        do throws(UVError) {
            if reusePort {
                var fd: uv_os_fd_t = -1
                try UVError.check(uv_fileno(handle, &fd), "uv_fileno")
                try UVError.check(rb_set_reuseport(fd), "setsockopt(SO_REUSEPORT)")
            }
            _ = try address.withSockaddr { address throws(UVError) in
                try UVError.check(uv_tcp_bind(tcp, address, 0), "bind(\(host):\(port))")
            }
        } catch {
            close()
            throw error
        }
    }

    /// Starts listening; `onConnection` gets each accepted connection (not yet reading).
    public func listen(backlog: Int32 = 1024, _ onConnection: @escaping (TCPConnection) -> Void) throws(UVError) {
        self.onConnection = onConnection
        let status = uv_listen(OpaquePointer(handle).assumingMemory(uv_stream_t.self), backlog) { server, status in
            let listener = LoopHandle.object(server!.pointee.data, as: TCPListener.self)
            listener.accept(status: status)
        }
        try UVError.check(status, "listen(port \(localPort))")
    }

    private func accept(status: Int32) {
        // A failed accept (e.g. EMFILE) is retried by libuv, which also
        // reserves a spare descriptor to shed the connection instead of spinning.
        guard status >= 0, !isClosing else { return }
        let connection = TCPConnection(loop: loop)
        let result = uv_accept(OpaquePointer(handle).assumingMemory(uv_stream_t.self), connection.stream)
        if result < 0 {
            connection.close()
            return
        }
        onConnection?(connection)
    }

    /// The bound port (useful after binding port 0).
    public var localPort: Int {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(tcp, $0, &length) }
        }
        guard status == 0 else { return 0 }
        return SocketAddress.port(of: &storage)
    }

    override func didClose() { onConnection = nil }
}

/// An IPv4 or IPv6 socket address parsed from text.
struct SocketAddress {
    private var storage = sockaddr_storage()
    let family: Int32

    init(host: String, port: Int) throws(UVError) {
        let literal = host == "localhost" ? "127.0.0.1" : host.trimmingBrackets
        guard (0...65535).contains(port) else {
            throw UVError(code: UV_EINVAL.rawValue, operation: "port \(port)")
        }
        let v4 = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(literal, Int32(port), $0) }
        }
        if v4 == 0 {
            family = AF_INET
            return
        }
        let v6 = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(literal, Int32(port), $0) }
        }
        guard v6 == 0 else {
            throw UVError(code: UV_EINVAL.rawValue, operation: "parse address \"\(host)\" (an IP address or localhost)")
        }
        family = AF_INET6
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) throws(UVError) -> R) throws(UVError) -> R {
        var copy = storage
        return try withUnsafePointer(to: &copy) { (pointer) throws(UVError) -> R in
            try body(UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr.self))
        }
    }

    static func describe(_ storage: UnsafeMutablePointer<sockaddr_storage>) -> String? {
        var name = [CChar](repeating: 0, count: 64)
        let port = Self.port(of: storage)
        if Int32(storage.pointee.ss_family) == AF_INET {
            storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { _ = uv_ip4_name($0, &name, name.count) }
            return "\(text(name)):\(port)"
        } else if Int32(storage.pointee.ss_family) == AF_INET6 {
            storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { _ = uv_ip6_name($0, &name, name.count) }
            return "[\(text(name))]:\(port)"
        }
        return nil
    }

    private static func text(_ name: [CChar]) -> String {
        String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func port(of storage: UnsafeMutablePointer<sockaddr_storage>) -> Int {
        if Int32(storage.pointee.ss_family) == AF_INET {
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        } else if Int32(storage.pointee.ss_family) == AF_INET6 {
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
        }
        return 0
    }
}

extension String {
    var trimmingBrackets: String {
        if hasPrefix("["), hasSuffix("]") { return String(dropFirst().dropLast()) }
        return self
    }
}

extension TCPConnection {
    /// Connects to `host:port` (an IP literal or `localhost`); `completion` runs on the loop's
    /// thread with the connection (not yet reading) or the error.
    public static func connect(
        loop: EventLoop, host: String, port: Int, _ completion: @escaping (Result<TCPConnection, UVError>) -> Void
    ) {
        let connection = TCPConnection(loop: loop)
        let address: SocketAddress
        do throws(UVError) {
            address = try SocketAddress(host: host, port: port)
        } catch {
            connection.close()
            completion(.failure(error))
            return
        }
        let request = ConnectRequest(connection: connection, completion: completion, target: "\(host):\(port)")
        request.raw.pointee.data = Unmanaged.passRetained(request).toOpaque()
        let status = try? address.withSockaddr { (address) throws(UVError) -> Int32 in
            uv_tcp_connect(request.raw, connection.tcp, address) { raw, status in
                let request = Unmanaged<ConnectRequest>.fromOpaque(raw!.pointee.data).takeRetainedValue()
                request.finish(status: status)
            }
        }
        if let status, status < 0 {
            Unmanaged<ConnectRequest>.fromOpaque(request.raw.pointee.data).release()
            connection.close()
            completion(.failure(UVError(code: status, operation: "connect(\(host):\(port))")))
        }
    }
}

/// One pending `uv_connect_t`.
private final class ConnectRequest {
    let raw = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
    let connection: TCPConnection
    let completion: (Result<TCPConnection, UVError>) -> Void
    let target: String

    init(connection: TCPConnection, completion: @escaping (Result<TCPConnection, UVError>) -> Void, target: String) {
        self.connection = connection
        self.completion = completion
        self.target = target
    }

    func finish(status: Int32) {
        if status < 0 {
            connection.close()
            completion(.failure(UVError(code: status, operation: "connect(\(target))")))
        } else {
            completion(.success(connection))
        }
    }

    deinit { raw.deallocate() }
}
