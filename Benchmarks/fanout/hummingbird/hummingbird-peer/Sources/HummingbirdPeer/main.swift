// A broadcast server written the way Hummingbird's WebSocket examples write one:
// each connection gets an AsyncStream its handler drains into the outbound writer;
// POST /trigger yields {"type":"reload","epoch":N} into every stream.
//   HummingbirdPeer PORT
import Hummingbird
import HummingbirdWebSocket
import Logging
import Synchronization

final class Hub: Sendable {
    private let state = Mutex<(next: Int, streams: [Int: AsyncStream<String>.Continuation])>((0, [:]))
    private let epoch = Atomic<Int>(0)

    func add(_ continuation: AsyncStream<String>.Continuation) -> Int {
        state.withLock { state in
            state.next += 1
            state.streams[state.next] = continuation
            return state.next
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.streams.removeValue(forKey: id) }
    }

    func broadcast() -> (epoch: Int, clients: Int) {
        let epoch = epoch.add(1, ordering: .relaxed).newValue
        let message = #"{"type":"reload","epoch":\#(epoch)}"#
        let count = state.withLock { state in
            for continuation in state.streams.values { continuation.yield(message) }
            return state.streams.count
        }
        return (epoch, count)
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080
let hub = Hub()
var logger = Logger(label: "hummingbird-peer")
logger.logLevel = .warning

let router = Router()
router.post("/trigger") { _, _ -> String in
    let (epoch, clients) = hub.broadcast()
    return #"{"ok":true,"epoch":\#(epoch),"clients":\#(clients)}"#
}

let wsRouter = Router(context: BasicWebSocketRequestContext.self)
wsRouter.ws("/ws") { _, _ in
    .upgrade([:])
} onUpgrade: { inbound, outbound, _ in
    let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(64))
    let id = hub.add(continuation)
    defer { hub.remove(id) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for try await _ in inbound {}  // until the client closes
        }
        group.addTask {
            for await message in stream { try await outbound.write(.text(message)) }
        }
        try await group.next()
        group.cancelAll()
    }
}

let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(webSocketRouter: wsRouter),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "hummingbird-peer"),
    logger: logger
)
try await app.runService()
