import Testing

@testable import ReloadBroker

@Suite("tiny-lr request parsing")
struct TinyLRRequestTests {
    private func parse(query: String? = nil, type: String? = nil, body: String = "") -> TinyLRRequest.ParseResult {
        TinyLRRequest.parse(query: query, contentType: type, body: Array(body.utf8))
    }

    private func files(_ result: TinyLRRequest.ParseResult) -> [String]? {
        if case .parsed(let request) = result { return request.files }
        return nil
    }

    @Test func queryFilesSplitOnCommasAndWhitespace() {
        #expect(files(parse(query: "files=style.css")) == ["style.css"])
        #expect(files(parse(query: "files=index.html,style.css,docs/docco.css")) == ["index.html", "style.css", "docs/docco.css"])
        #expect(files(parse(query: "files=a.css%20b.js+c.png,,%0Ad.html")) == ["a.css", "b.js", "c.png", "d.html"])
        #expect(files(parse(query: "files=a.css&files=b.css&other=1")) == ["a.css", "b.css"])
        #expect(files(parse(query: "x=1")) == [])
        #expect(files(parse()) == [])
    }

    @Test func jsonBodyListOrString() {
        #expect(files(parse(type: "application/json", body: #"{"files":["index.html","a b.css"]}"#)) == ["index.html", "a b.css"])
        #expect(files(parse(type: "application/json", body: #"{"files":"a.css, b.css"}"#)) == ["a.css", "b.css"])
        #expect(files(parse(type: "application/json", body: #"{"files":["", "x.js"]}"#)) == ["x.js"])
    }

    @Test func jsonIsTriedWhateverTheContentType() {
        // curl -d '{"files":[…]}' labels its body application/x-www-form-urlencoded.
        #expect(files(parse(type: "application/x-www-form-urlencoded", body: #" {"files":["a.css"]}"#)) == ["a.css"])
        #expect(files(parse(body: #"{"files":["a.css"]}"#)) == ["a.css"])
    }

    @Test func formBody() {
        #expect(files(parse(type: "application/x-www-form-urlencoded", body: "files=a.css%2Cb.css")) == ["a.css", "b.css"])
        #expect(files(parse(type: "application/x-www-form-urlencoded", body: "files[]=a.css&files[]=b.js")) == ["a.css", "b.js"])
    }

    @Test func theBodyWinsAndTheQueryFillsIn() {
        #expect(files(parse(query: "files=q.css", type: "application/json", body: #"{"files":["b.css"]}"#)) == ["b.css"])
        #expect(files(parse(query: "files=q.css", type: "application/json", body: #"{"message":"m"}"#)) == ["q.css"])
    }

    @Test func alertMessage() {
        #expect(parse(type: "application/json", body: #"{"message":"Build failed"}"#) == .parsed(TinyLRRequest(message: "Build failed")))
        #expect(parse(query: "message=Build+failed%21") == .parsed(TinyLRRequest(message: "Build failed!")))
        #expect(parse(type: "application/x-www-form-urlencoded", body: "message=hi") == .parsed(TinyLRRequest(message: "hi")))
    }

    @Test func malformedJSONIsAClearError() {
        for body in ["{", #"{"files":"#, "[1,2]", "null"] {
            guard case .invalid(let reason) = parse(type: "application/json", body: body) else {
                Issue.record("\(body) parsed")
                continue
            }
            #expect(reason.contains("JSON"))
        }
        // A wrong type for files is no files, not an error (tiny-lr ignores it too).
        #expect(files(parse(type: "application/json", body: #"{"files":42}"#)) == [])
    }

    @Test func tooManyFilesIsRefused() {
        let many = (0...TinyLRRequest.maxFiles).map { "f\($0).css" }.joined(separator: ",")
        guard case .invalid(let reason) = parse(query: "files=" + many) else {
            Issue.record("accepted \(TinyLRRequest.maxFiles + 1) files")
            return
        }
        #expect(reason.contains("Too many files"))
    }

    /// Arbitrary bytes (a seeded xorshift, so a failure replays) never crash either parser and
    /// always get an answer: parsed, or a reason.
    @Test func arbitraryInputNeverCrashes() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let alphabet = Array(#"{}[]",:=&%+ \\#n\#tfilesmsgcommandhello0123456789aé"#.utf8)
        for round in 0..<2000 {
            let count = Int(next() % 64)
            let bytes = (0..<count).map { _ in round % 2 == 0 ? UInt8(truncatingIfNeeded: next()) : alphabet[Int(next() % UInt64(alphabet.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            switch TinyLRRequest.parse(query: text, contentType: round % 3 == 0 ? "application/json" : nil, body: bytes) {
            case .parsed(let request): #expect(request.files.allSatisfy { !$0.isEmpty })
            case .invalid(let reason): #expect(!reason.isEmpty)
            }
            _ = LiveReloadClientMessage.parse(text)
        }
    }
}
