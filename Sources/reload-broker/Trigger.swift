import ArgumentParser
import HTTPCodec
import UVLoop

struct Trigger: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell a running broker to reload every connected page.",
        discussion: """
            Examples:
              reload-broker trigger                          reload every page
              reload-broker trigger --path styles/site.css   swap that stylesheet in place
              reload-broker trigger --path a.css --path b.css  swap both stylesheets
              reload-broker trigger --url http://127.0.0.1:4000/__reload --token "$TOKEN"

            Exit statuses: 0 the broker reached at least one page, 1 it took the reload but no page was
            connected, 7 no broker answered, 8 the broker refused (token, origin) or failed.
            """)

    @Option(help: "The broker's base URL: scheme, host, port and prefix.")
    var url = "http://127.0.0.1:35729/__reload"

    @Option(help: "A changed file; repeatable. Only .css paths (at most 8) swap those stylesheets instead of reloading.")
    var path: [String] = []

    @Option(help: "The broker's token, when it was started with --token.")
    var token: String?

    @Option(help: "Seconds to wait for the broker.")
    var timeout: Double = 5

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func validate() throws {
        guard BrokerURL(url) != nil else {
            throw ValidationError("--url must look like http://127.0.0.1:35729/__reload, not \"\(url)\".")
        }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds.") }
    }

    func run() throws {
        let target = BrokerURL(url)!
        var headers: [(String, String)] = [("Host", target.authority), ("Connection", "close")]
        var body: [UInt8] = []
        if path.count == 1 {
            body = Array(#"{"path":"\#(jsonEscaped(path[0]))"}"#.utf8)
        } else if path.count > 1 {
            body = Array(#"{"paths":[\#(path.map { "\"\(jsonEscaped($0))\"" }.joined(separator: ","))]}"#.utf8)
        }
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        headers.append(("Content-Length", String(body.count)))
        var request = "POST \(target.prefix)/trigger HTTP/1.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let bytes = Array((request + "\r\n").utf8) + body

        let outcome = try OneShotHTTPExchange.run(
            host: target.host, port: target.port, request: bytes, timeoutMilliseconds: UInt64(timeout * 1000))
        switch outcome {
        case .failure(let message):
            printError("reload-broker: no broker answered at \(url): \(message)")
            throw ExitCode(ExitStatus.brokerUnreachable)
        case .success(let status, let text):
            guard status == 200 else {
                printError("reload-broker: the broker refused the trigger (\(status)): \(text.split(separator: "\n").first ?? "")")
                throw ExitCode(ExitStatus.triggerRefused)
            }
            let clients = Int(Self.field("clients", in: text) ?? "") ?? 0
            if !quiet { print("reload-broker: reload sent to \(clients) client\(clients == 1 ? "" : "s")") }
            if clients == 0 { throw ExitCode(ExitStatus.noClients) }
        }
    }

    static func field(_ name: String, in text: String) -> String? {
        guard let range = text.firstRange(of: "\"\(name)\":") else { return nil }
        return String(text[range.upperBound...].prefix { $0.isNumber })
    }

    func jsonEscaped(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default:
                if scalar.value < 0x20 {
                    result += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}

/// `http://host:port/prefix`, the form `--url` takes.
struct BrokerURL {
    var host: String
    var port: Int
    var prefix: String
    var authority: String

    init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        let rest = text.dropFirst(7)
        let authorityPart = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(authorityPart.count))
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let authority = String(authorityPart)
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = after.isEmpty ? 80 : (after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : -1)
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let first = parts.first, !first.isEmpty else { return nil }
            host = String(first)
            port = parts.count == 2 ? Int(parts[1]) ?? -1 : 80
        }
        guard (1...65535).contains(port) else { return nil }
        self.prefix = prefix
        self.authority = authority
    }
}

/// Sends one request on a fresh connection and reads the response until the server closes,
/// on a private libuv loop, bounded by a timeout.
final class OneShotHTTPExchange: TCPConnectionDelegate {
    enum Outcome {
        case success(status: Int, body: String)
        case failure(String)
    }

    private var received: [UInt8] = []
    private var outcome: Outcome?
    private let timer: LoopTimer

    private init(loop: EventLoop) { timer = LoopTimer(loop: loop) }

    static func run(host: String, port: Int, request: [UInt8], timeoutMilliseconds: UInt64) throws -> Outcome {
        let loop = try EventLoop()
        let exchange = OneShotHTTPExchange(loop: loop)
        var connection: TCPConnection?
        exchange.timer.start(after: timeoutMilliseconds) {
            exchange.outcome = .failure("no answer within \(timeoutMilliseconds) ms")
            connection?.close()
            exchange.timer.close()
        }
        TCPConnection.connect(loop: loop, host: host == "localhost" ? "127.0.0.1" : host, port: port) { result in
            switch result {
            case .failure(let error):
                exchange.outcome = .failure("\(error.name) (\(error.message))")
                exchange.timer.close()
            case .success(let opened):
                connection = opened
                opened.delegate = exchange
                opened.startReading()
                opened.write(request)
            }
        }
        loop.run()
        loop.close()
        return exchange.outcome ?? .failure("the connection closed without an answer")
    }

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        for index in bytes.indices { received.append(bytes[index]) }
        if received.count > 1 << 20 { connection.close() }
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) { connection.close() }
    func connectionDidDrain(_ connection: TCPConnection) {}

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        if outcome == nil {
            if let end = received.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                let statusLine = head.split(separator: "\r\n").first?.split(separator: " ") ?? []
                let status = statusLine.count >= 2 ? Int(statusLine[1]) ?? 0 : 0
                outcome = .success(status: status, body: String(decoding: received[end.upperBound...], as: UTF8.self))
            } else {
                outcome = .failure(error.map { "\($0.name) (\($0.message))" } ?? "the connection closed without an answer")
            }
        }
        timer.close()
    }
}
