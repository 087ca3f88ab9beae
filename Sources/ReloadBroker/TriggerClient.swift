import HTTPCodec
import UVLoop

/// Tells a running broker to reload: one `POST <prefix>/trigger` on a fresh connection, on a
/// private libuv loop, bounded by a timeout. What `reload-broker trigger` uses.
///
/// The request carries `Connection: close`, the token as a bearer `Authorization`, and for changed
/// paths a JSON body (`{"path":…}` for one, `{"paths":[…]}` for several). The answer is read with
/// `HTTPResponseParser` until the broker closes.
public struct TriggerClient: Sendable {
    /// What the broker answered, or why nothing did.
    public enum Outcome: Sendable, Equatable {
        /// A response head arrived: its status and its (decoded) body.
        case answered(status: Int, body: String)
        /// No response: why, in a few words.
        case failed(String)
    }

    /// The broker's base URL (`http://host:port/prefix`).
    public let url: String
    /// Changed files, sent in the body; empty: reload everything.
    public var paths: [String]
    /// The broker's token, when it was started with one.
    public var token: String?
    private let target: HTTPURL

    /// nil unless `url` looks like `http://127.0.0.1:35729/__reload`.
    public init?(url: String, paths: [String] = [], token: String? = nil) {
        guard let target = HTTPURL(url) else { return nil }
        self.url = url
        self.paths = paths
        self.token = token
        self.target = target
    }

    /// The request's bytes: head and body.
    public var request: [UInt8] {
        var body = ""
        if paths.count == 1 {
            body = #"{"path":"\#(Messages.jsonEscaped(paths[0]))"}"#
        } else if paths.count > 1 {
            body = #"{"paths":[\#(paths.map { "\"\(Messages.jsonEscaped($0))\"" }.joined(separator: ","))]}"#
        }
        var headers: HTTPHeaders = ["Host": target.authority, "Connection": "close"]
        if !body.isEmpty { headers.add("Content-Type", "application/json") }
        if let token { headers.add("Authorization", "Bearer \(token)") }
        headers.add("Content-Length", String(body.utf8.count))
        return RequestHead(method: "POST", target: target.path + "/trigger", headers: headers).serialized()
            + Array(body.utf8)
    }

    /// Sends the request and waits for the answer, at most `timeoutMilliseconds`.
    /// Throws only when no loop could be made.
    public func send(timeoutMilliseconds: UInt64) throws(UVError) -> Outcome {
        let loop = try EventLoop()
        let exchange = Exchange(loop: loop)
        var connection: TCPConnection?
        exchange.timer.start(after: timeoutMilliseconds) {
            exchange.outcome = .failed("no answer within \(timeoutMilliseconds) ms")
            connection?.close()
            exchange.timer.close()
        }
        let request = self.request
        let host = target.host == "localhost" ? "127.0.0.1" : target.host
        TCPConnection.connect(loop: loop, host: host, port: target.port) { result in
            switch result {
            case .failure(let error):
                exchange.outcome = .failed("\(error.name) (\(error.message))")
                exchange.timer.close()
            case .success(let opened):
                connection = opened
                opened.delegate = exchange
                opened.startReading()
                _ = opened.write(request)
            }
        }
        loop.run()
        loop.close()
        return exchange.outcome ?? .failed("the connection closed without an answer")
    }

    /// Reads the answer until the broker closes (at most 1 MiB).
    private final class Exchange: TCPConnectionDelegate {
        var outcome: Outcome?
        let timer: LoopTimer
        private var parser = HTTPResponseParser()
        private var received = 0
        private var status: Int?
        private var body: [UInt8] = []
        private var failure: HTTPResponseParseError?

        init(loop: EventLoop) { timer = LoopTimer(loop: loop) }

        func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
            received += bytes.count
            parser.append(bytes)
            drain()
            if received > 1 << 20 { connection.close() }
        }

        func connectionDidReachEndOfInput(_ connection: TCPConnection) { connection.close() }
        func connectionDidDrain(_ connection: TCPConnection) {}

        func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
            parser.finishInput()
            drain()
            if outcome == nil {
                if let status {
                    outcome = .answered(status: status, body: String(decoding: body, as: UTF8.self))
                } else if let failure {
                    outcome = .failed(failure.description)
                } else {
                    outcome = .failed(
                        error.map { "\($0.name) (\($0.message))" } ?? "the connection closed without an answer")
                }
            }
            timer.close()
        }

        /// Takes the final response's head and body; interim (1xx) heads are skipped.
        private func drain() {
            guard failure == nil else { return }
            do throws(HTTPResponseParseError) {
                while let event = try parser.nextEvent() {
                    switch event {
                    case .head(let head) where head.status.code >= 200: status = head.status.code
                    case .head: break
                    case .body(let piece): body += piece
                    case .end: break
                    }
                }
            } catch {
                failure = error
            }
        }
    }
}
