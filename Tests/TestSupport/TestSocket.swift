#if canImport(Glibc)
import Glibc
#endif
import HTTPCodec
import WebSocketCodec

/// Errors of the test clients; each names what was awaited.
public struct TestClientError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// A blocking loopback TCP client for tests: every wait is bounded by a timeout (poll(2)).
public final class TestSocket {
    public let fd: Int32
    public private(set) var isOpen = true

    public init(port: Int, host: String = "127.0.0.1", receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket() failed: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let error = errno
            Glibc.close(fd)
            throw TestClientError(description: "connect to \(host):\(port) failed: errno \(error)")
        }
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestClientError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Waits up to `timeout` for bytes; returns them, or [] at end of stream. Throws on timeout.
    public func receive(timeout: Duration = .seconds(10), max: Int = 65536) throws -> [UInt8] {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&descriptor, 1, milliseconds)
        guard ready > 0 else { throw TestClientError(description: "timed out after \(timeout) waiting for data") }
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            if errno == ECONNRESET { return [] }
            throw TestClientError(description: "recv failed: errno \(errno)")
        }
        return Array(buffer[..<count])
    }

    /// Reads until the peer closes; throws when it does not within `timeout`.
    public func readToEnd(timeout: Duration = .seconds(10)) throws -> [UInt8] {
        var all: [UInt8] = []
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let left = deadline - clock.now
            guard left > .zero else { throw TestClientError(description: "peer did not close within \(timeout)") }
            let chunk = try receive(timeout: left)
            if chunk.isEmpty { return all }
            all += chunk
        }
    }

    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    public func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(fd)
    }

    deinit { close() }
}

/// A parsed HTTP response.
public struct TestResponse {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Reads HTTP responses from a socket (Content-Length bodies, or until close).
public struct TestResponseReader {
    private var buffer: [UInt8] = []

    public init() {}

    public mutating func next(from socket: TestSocket, headRequest: Bool = false, timeout: Duration = .seconds(10)) throws -> TestResponse {
        while true {
            if let response = try parse(headRequest: headRequest) { return response }
            let chunk = try socket.receive(timeout: timeout)
            if chunk.isEmpty {
                if let response = try parse(headRequest: headRequest, atEnd: true) { return response }
                throw TestClientError(description: "connection closed before a full response: \(String(decoding: buffer, as: UTF8.self))")
            }
            buffer += chunk
        }
    }

    private mutating func parse(headRequest: Bool, atEnd: Bool = false) throws -> TestResponse? {
        guard let end = buffer.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let headText = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestClientError(description: "bad status line in \(headText)")
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        let bodyStart = end.upperBound
        if headRequest || status == 101 || status == 204 || status == 304 {
            buffer.removeSubrange(..<bodyStart)
            return TestResponse(status: status, headers: headers, body: [])
        }
        if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            guard buffer.count - bodyStart >= length else { return nil }
            let body = Array(buffer[bodyStart..<bodyStart + length])
            buffer.removeSubrange(..<(bodyStart + length))
            return TestResponse(status: status, headers: headers, body: body)
        }
        guard atEnd else { return nil }
        let body = Array(buffer[bodyStart...])
        buffer = []
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Bytes read past the last response (e.g. WebSocket frames after a 101).
    public mutating func takeRemainder() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }
}

/// One request on a new connection.
public func httpRequest(
    port: Int, method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8] = [],
    host: String = "127.0.0.1"
) throws -> TestResponse {
    let socket = try TestSocket(port: port)
    var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    if !body.isEmpty { request += "Content-Length: \(body.count)\r\n" }
    request += "Connection: close\r\n\r\n"
    try socket.send(Array(request.utf8) + body)
    var reader = TestResponseReader()
    return try reader.next(from: socket, headRequest: method == "HEAD")
}

/// A WebSocket client (client role: masks its frames) over a blocking test socket.
public final class TestWebSocket {
    public let socket: TestSocket
    private var parser = WebSocketParser(role: .client, maxMessageBytes: 1 << 20)

    public init(port: Int, path: String = "/__reload/ws", origin: String? = "http://localhost:3000", receiveBuffer: Int32? = nil) throws {
        socket = try TestSocket(port: port, receiveBuffer: receiveBuffer)
        var generator = SystemRandomNumberGenerator()
        let key = WebSocketHandshake.makeKey(using: &generator)
        try socket.send(WebSocketHandshake.clientRequest(host: "127.0.0.1:\(port)", path: path, key: key, origin: origin))
        var reader = TestResponseReader()
        let response = try reader.next(from: socket)
        guard response.status == 101 else {
            throw TestClientError(description: "handshake answered \(response.status): \(response.text)")
        }
        guard response.headers["Sec-WebSocket-Accept"] == WebSocketHandshake.acceptValue(forKey: key) else {
            throw TestClientError(description: "wrong Sec-WebSocket-Accept")
        }
        parser.append(reader.takeRemainder())
    }

    /// The next event; throws on timeout or when the stream ends first.
    public func next(timeout: Duration = .seconds(10)) throws -> WebSocketEvent {
        while true {
            if let event = try parser.next() { return event }
            let bytes = try socket.receive(timeout: timeout)
            if bytes.isEmpty { throw TestClientError(description: "connection closed while waiting for a frame") }
            parser.append(bytes)
        }
    }

    /// The next text message (skipping control frames).
    public func nextText(timeout: Duration = .seconds(10)) throws -> String {
        while true {
            switch try next(timeout: timeout) {
            case .text(let text): return text
            case .close(let code, let reason): throw TestClientError(description: "closed (\(code ?? 0)) \(reason)")
            default: continue
            }
        }
    }

    public func send(opcode: WebSocketOpcode, _ payload: [UInt8]) throws {
        try socket.send(WebSocketFrameEncoder.frame(opcode: opcode, payload: payload, maskingKey: (1, 2, 3, 4)))
    }

    public func sendText(_ text: String) throws { try send(opcode: .text, Array(text.utf8)) }
}

/// A field of a flat JSON object such as the broker's messages (tests only).
public func jsonField(_ name: String, in text: String) -> String? {
    guard let range = text.firstRange(of: "\"\(name)\":") else { return nil }
    var value = text[range.upperBound...]
    if value.hasPrefix("\"") {
        value = value.dropFirst()
        return String(value.prefix { $0 != "\"" })
    }
    return String(value.prefix { $0 != "," && $0 != "}" })
}
