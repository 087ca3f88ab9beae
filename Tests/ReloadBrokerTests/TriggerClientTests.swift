import HTTPCodec
import Testing

@testable import ReloadBroker

@Suite("TriggerClient")
struct TriggerClientTests {
    @Test func requestWithoutPaths() throws {
        let client = try #require(TriggerClient(url: "http://127.0.0.1:35729/__reload/"))
        #expect(
            String(decoding: client.request, as: UTF8.self)
                == "POST /__reload/trigger HTTP/1.1\r\nHost: 127.0.0.1:35729\r\nConnection: close\r\n"
                + "Content-Length: 0\r\n\r\n")
    }

    @Test func requestWithPathsAndToken() throws {
        let one = try #require(TriggerClient(url: "http://[::1]:4000/x", paths: ["a \"b\".css"], token: "s3cret"))
        let body = #"{"path":"a \"b\".css"}"#
        #expect(
            String(decoding: one.request, as: UTF8.self)
                == "POST /x/trigger HTTP/1.1\r\nHost: [::1]:4000\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer s3cret\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        let two = try #require(TriggerClient(url: "http://h", paths: ["a.css", "b.css"]))
        #expect(String(decoding: two.request, as: UTF8.self).hasSuffix("\r\n\r\n" + #"{"paths":["a.css","b.css"]}"#))
    }

    @Test func requestParsesAsOneRequest() throws {
        let client = try #require(TriggerClient(url: "http://localhost:1/r", paths: ["é\n.css"], token: "t\r\nX: y"))
        var parser = HTTPRequestParser()
        parser.append(client.request)
        let request = try #require(try parser.nextRequest())
        #expect(request.head.target == "/r/trigger")
        #expect(request.head.headers["Authorization"] == "Bearer t  X: y", "a token cannot add a header")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"path":"é\n.css"}"#)
        #expect(try parser.nextRequest() == nil)
    }

    @Test(arguments: ["https://h", "http://", "127.0.0.1:35729", "http://h:0/x"])
    func invalidURLs(_ url: String) {
        #expect(TriggerClient(url: url) == nil)
    }
}
