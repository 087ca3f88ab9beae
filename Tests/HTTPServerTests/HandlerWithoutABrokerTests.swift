import HTTPCodec
import HTTPServer
import ReloadBroker
import TestSupport
import Testing

/// A handler of the broker's library on the bare HTTP server: no broker, no reloads, no injection.
@Suite("StaticFileHandler on a bare HTTP1Server", .timeLimit(.minutes(1)))
struct HandlerWithoutABrokerTests {
    @Test func servesFilesRangesAndRefusalsWithoutABroker() throws {
        let folder = try TemporaryFolder()
        let page = "<!doctype html><html><head><title>t</title></head><body>hi</body></html>"
        try folder.write("index.html", page)
        try folder.write("notes.txt", "0123456789")
        try folder.write(".secret", "hidden")
        let files = try StaticFileHandler(root: folder.path)
        let router = TestRouter(route: { _ in .handler(files) }, handle: { _, _ in })
        try withServer(router: router) { server in
            let index = try httpRequest(port: server.port, path: "/")
            #expect(index.status == 200)
            #expect(index.text == page)  // byte for byte: no response filter, no client injected
            let range = try httpRequest(port: server.port, path: "/notes.txt", headers: [("Range", "bytes=2-4")])
            #expect(range.status == 206)
            #expect(range.text == "234")
            #expect(range.headers["Content-Range"] == "bytes 2-4/10")
            #expect(try httpRequest(port: server.port, path: "/.secret").status == 404)
            #expect(try httpRequest(port: server.port, path: "/missing.txt").status == 404)
        }
    }
}
