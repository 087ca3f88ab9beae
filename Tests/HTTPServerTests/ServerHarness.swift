import Dispatch
import HTTPCodec
import HTTPServer
import Logging
import UVLoop

/// A router for tests: decides with `route`, answers `.router` requests with `handle`.
final class TestRouter: HTTPRouter {
    let decide: (RequestHead) -> HTTPRoute
    let answer: (HTTPRequest, HTTPResponder) -> Void

    init(route: @escaping (RequestHead) -> HTTPRoute = { _ in .router }, handle: @escaping (HTTPRequest, HTTPResponder) -> Void) {
        self.decide = route
        self.answer = handle
    }

    func route(_ head: RequestHead) -> HTTPRoute { decide(head) }
    func handle(_ request: HTTPRequest, responder: HTTPResponder) { answer(request, responder) }
}

/// An ``HTTP1Server`` alone on a loop thread of its own, on 127.0.0.1: no broker.
final class ServerHarness: Sendable {
    let port: Int
    private let server: LoopBound<(HTTP1Server, TestRouter, (any ResponseFilter)?)>
    private let executor: LoopExecutor
    private let thread: LoopThread

    init(
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(), filter: (any ResponseFilter)? = nil,
        router: TestRouter
    ) throws {
        let loop = try EventLoop()
        let server = try HTTP1Server(loop: loop, configuration: configuration, logger: Logger(label: "test"))
        server.router = router
        server.responseFilter = filter
        port = server.port
        executor = loop.executor
        self.server = LoopBound((server, router, filter), executor: loop.executor)
        let detached = DetachedLoop(loop)
        thread = try LoopThread {
            detached.loop.run()
            detached.loop.close()  // traps if a handle is still open
        }
    }

    /// The server's open connections, read on its loop.
    func connectionCount() -> Int {
        final class Result: @unchecked Sendable { var count = -1 }  // written before the signal, read after the wait
        let result = Result()
        let done = DispatchSemaphore(value: 0)
        let server = self.server
        guard executor.execute({ result.count = server.value.0.connectionCount; done.signal() }) else { return -1 }
        done.wait()
        return result.count
    }

    /// Stops the server and waits until its loop has ended with every handle closed.
    func stop() {
        let server = self.server
        _ = executor.execute { server.value.0.stop() }
        thread.join()
    }
}

/// Runs `body` against a server, then stops it (also when `body` throws).
func withServer(
    configuration: HTTPServerConfiguration = HTTPServerConfiguration(), filter: (any ResponseFilter)? = nil,
    router: TestRouter, _ body: (ServerHarness) throws -> Void
) throws {
    let harness = try ServerHarness(configuration: configuration, filter: filter, router: router)
    defer { harness.stop() }
    try body(harness)
}

/// A plain-text response.
func text(_ status: HTTPStatus, _ body: String, type: String = "text/plain") -> (ResponseHead, [UInt8]) {
    var head = ResponseHead(status: status)
    head.headers.add("Content-Type", type)
    return (head, Array(body.utf8))
}
