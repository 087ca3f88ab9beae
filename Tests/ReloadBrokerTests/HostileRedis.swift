#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// A fake "Redis" on loopback that answers whatever the test says: each connection gets
/// `answer` once it has sent something, then is held open (so the broker itself must refuse
/// the answer, not just see a closed connection). Bounded: accepts poll with a timeout and the
/// thread ends when the object is stopped.
final class HostileRedis: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let answer: [UInt8]
    private let stopped = Locked(false)
    private let held = Locked<[Int32]>([])
    private let done = DispatchSemaphore(value: 0)

    init(answer: [UInt8]) throws {
        self.answer = answer
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let status = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        guard status == 0 else { throw TestClientError(description: "fake redis: bind failed, errno \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in self.serve() }
    }

    private func serve() {
        defer { done.signal() }
        while !stopped.withLock({ $0 }) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            held.withLock { $0.append(client) }
            // Wait (bounded) for the first command, then answer.
            var request = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            if poll(&request, 1, 2000) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &buffer, buffer.count)
                var flag: Int32 = 1
                setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &flag, socklen_t(MemoryLayout<Int32>.size))
                var sent = 0
                while sent < answer.count {
                    let count = answer[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if count <= 0 { break }
                    sent += count
                }
            }
        }
    }

    func stop() {
        stopped.withLock { $0 = true }
        _ = done.wait(timeout: .now() + 5)
        for fd in held.withLock({ $0 }) { close(fd) }
        close(listener)
    }
}
