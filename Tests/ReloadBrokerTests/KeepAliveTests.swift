import HTTPCodec
import ReloadBroker
import TestSupport
import Testing

/// One connection, several requests; and how a connection ends: the idle timeout, HTTP/1.0,
/// a client that half-closes, and a closed connection's response not cut short by the linger.
@Suite("Keep-alive, pipelining and closing connections")
struct KeepAliveTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withBroker { broker throws in
            let socket = try TestSocket(port: broker.port)
            let one = "GET /__reload/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let two = "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            try socket.send(one + two)
            var reader = TestResponseReader()
            #expect(try reader.next(from: socket).status == 200)
            #expect(try reader.next(from: socket).status == 404)
        }
    }

    @Test func thousandsOfPipelinedRequestsInOneWriteAreAllAnswered() throws {
        try withBroker { broker throws in
            let socket = try TestSocket(port: broker.port)
            let one = "GET /__reload/health HTTP/1.1\r\nHost: [::1]\r\n\r\n"
            try socket.send(String(repeating: one, count: 2500))
            var reader = TestResponseReader()
            var answered = 0
            for _ in 0..<2500 where try reader.next(from: socket).status == 200 {
                answered += 1
            }
            #expect(answered == 2500)
        }
    }

    @Test func keepAliveAndHTTP10() throws {
        try withBroker { broker throws in
            let socket = try TestSocket(port: broker.port)
            var reader = TestResponseReader()
            for _ in 0..<3 {
                try socket.send("GET /__reload/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(try reader.next(from: socket).status == 200)
            }
            let old = try TestSocket(port: broker.port)
            try old.send("GET /__reload/health HTTP/1.0\r\n\r\n")
            var oldReader = TestResponseReader()
            let response = try oldReader.next(from: old)
            #expect(response.status == 200)
            #expect(response.headers["Connection"]?.lowercased() == "close")
            #expect(try old.readToEnd().isEmpty)
        }
    }

    @Test func idleKeepAliveConnectionsAreClosed() throws {
        try withBroker({ $0.idleTimeout = .milliseconds(200) }) { broker throws in
            let socket = try TestSocket(port: broker.port)
            try socket.send("GET /__reload/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            var reader = TestResponseReader()
            #expect(try reader.next(from: socket).status == 200)
            #expect(try socket.readToEnd(timeout: .seconds(10)).isEmpty)
        }
    }

    @Test func aHalfClosingClientStillGetsTheWholeResponse() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
        try withBroker({ $0.fallback = FixedBodyHandler(body: body, contentType: "application/octet-stream") }) { broker throws in
            let socket = try TestSocket(port: broker.port, receiveBuffer: 65536)
            try socket.send("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
            socket.shutdownWrite()
            let all = try socket.readToEnd(timeout: .seconds(30))
            let end = try #require(all.firstRange(of: [13, 10, 13, 10]), "no response head")
            #expect(all.count - end.upperBound == body.count)
        }
    }

    @Test func aClosedConnectionsLargeResponseIsNotCutByTheLingerTime() throws {
        let body = [UInt8](repeating: UInt8(ascii: "y"), count: 8 << 20)
        try withBroker({
            $0.fallback = FixedBodyHandler(body: body, contentType: "application/octet-stream")
            $0.stopGracePeriod = .milliseconds(100)  // linger is at most this
        }) { broker throws in
            let socket = try TestSocket(port: broker.port, receiveBuffer: 65536)
            try socket.send("GET /big HTTP/1.0\r\nHost: localhost\r\n\r\n")
            let all = try socket.readToEnd(timeout: .seconds(30))
            let end = try #require(all.firstRange(of: [13, 10, 13, 10]), "no response head")
            #expect(all.count - end.upperBound == body.count)
        }
    }
}
