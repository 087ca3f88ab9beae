import Testing
import UVLoop

@testable import ReloadBroker

@Suite("AppOutputTail: the app's last output, bounded and plain")
struct AppOutputTailTests {
    @Test func linesArriveInAnyChunking() {
        let text = Array("first line\nsecond\nthird without newline".utf8)
        var whole = AppOutputTail()
        whole.append(text, from: .standardError)
        for split in 1..<text.count {
            var tail = AppOutputTail()
            tail.append(text[..<split], from: .standardError)
            tail.append(text[split...], from: .standardError)
            #expect(tail.lines == whole.lines)
            #expect(tail.text == whole.text)
        }
        #expect(whole.lines.map(\.text) == ["first line", "second"])
        #expect(whole.text == "first line\nsecond\nthird without newline")
    }

    @Test func colourAndCursorSequencesAreRemoved() {
        var tail = AppOutputTail()
        tail.append(Array("\u{1B}[31;1mError\u{1B}[0m: boom\r\n".utf8), from: .standardError)
        tail.append(Array("\u{1B}]0;title\u{07}\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\ \u{1B}(Bdone\n".utf8), from: .standardOutput)
        tail.append(Array("50%\r100%\n".utf8), from: .standardOutput)
        tail.append([0x07, 0x08, 0x41, 0x09, 0x42, 0x0A], from: .standardOutput)
        #expect(tail.lines.map(\.text) == ["Error: boom", "link done", "100%", "A\tB"])
        #expect(tail.lines.map(\.stream) == [.standardError, .standardOutput, .standardOutput, .standardOutput])
    }

    @Test func anEscapeSplitAcrossChunksIsStillRemoved() {
        var tail = AppOutputTail()
        for byte in Array("a\u{1B}[38;5;196mb\n".utf8) { tail.append([byte], from: .standardOutput) }
        #expect(tail.lines.map(\.text) == ["ab"])
    }

    @Test func aSequenceLeftOpenEndsAtTheNewline() {
        var tail = AppOutputTail()
        tail.append(Array("a\u{1B}]0;never terminated\nnext line\nb\u{1B}[12\nafter\n".utf8), from: .standardOutput)
        #expect(tail.lines.map(\.text) == ["a", "next line", "b", "after"])
    }

    @Test func streamsKeepTheirOwnUnfinishedLines() {
        var tail = AppOutputTail()
        tail.append(Array("out-".utf8), from: .standardOutput)
        tail.append(Array("err-".utf8), from: .standardError)
        tail.append(Array("1\n".utf8), from: .standardOutput)
        tail.append(Array("2\n".utf8), from: .standardError)
        #expect(tail.lines == [.init(stream: .standardOutput, text: "out-1"), .init(stream: .standardError, text: "err-2")])
    }

    @Test func theWindowKeepsTheLastLinesAndBytes() {
        var tail = AppOutputTail(maxLines: 200, maxBytes: 64 * 1024)
        for index in 0..<1000 { tail.append(Array("line \(index)\n".utf8), from: .standardOutput) }
        #expect(tail.lines.count == 200)
        #expect(tail.lines.first?.text == "line 800")
        #expect(tail.lines.last?.text == "line 999")
        #expect(tail.droppedLines == 800)
        var bytes = AppOutputTail(maxLines: 200, maxBytes: 1024)
        let long = String(repeating: "x", count: 99)
        for _ in 0..<50 { bytes.append(Array((long + "\n").utf8), from: .standardOutput) }
        #expect(bytes.byteCount <= 1024)
        #expect(bytes.lines.count == 10)
    }

    @Test func aHugeLineWithoutNewlineStaysBounded() {
        var tail = AppOutputTail(maxLines: 10, maxBytes: 4096)
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 65536)
        for _ in 0..<64 { tail.append(chunk, from: .standardError) }
        #expect(tail.text.utf8.count < 4096)
        tail.append([0x0A], from: .standardError)
        #expect(tail.lines.count == 1)
        #expect(tail.byteCount <= 4096)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        var tail = AppOutputTail()
        tail.append([0x61, 0xFF, 0xC3, 0x0A], from: .standardOutput)
        #expect(tail.lines.map(\.text) == ["a\u{FFFD}\u{FFFD}"])
    }

    @Test func everyChangeMovesTheVersion() {
        var tail = AppOutputTail()
        let before = tail.version
        tail.append(Array("x".utf8), from: .standardOutput)
        #expect(tail.version > before)
    }
}

@Suite("The waiting page and the app status")
struct AppStatusPageTests {
    func crashed() -> AppStatus {
        var output = AppOutputTail()
        output.append(Array("MARKER-1234\n<script>alert(1)</script>\n".utf8), from: .standardError)
        output.append(Array("plain & simple\n".utf8), from: .standardOutput)
        return AppStatus(
            command: "python3 app.py --name \"x\"", state: .exited(.exited(status: 1)), pid: nil, run: 1,
            output: output)
    }

    @Test func thePageShowsTheOutputEscapedTheStatusAndTheCommand() {
        let html = ProxyWaitingPage.html(app: "127.0.0.1:8000", detail: "refused", appStatus: crashed(), prefix: "/__reload")
        #expect(html.contains("The app exited with status 1."))
        #expect(html.contains(#"<span class="err">MARKER-1234</span>"#))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("plain &amp; simple"))
        #expect(html.contains("python3 app.py --name &quot;x&quot;"))
        #expect(html.contains(#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#))
        #expect(html.contains(#""/__reload/app""#))
    }

    @Test func theJSONCarriesTheSameAndEscapesForHTML() {
        let json = crashed().json
        #expect(json.contains(#""state":"exited","status":1,"signal":0"#))
        #expect(json.contains(#"{"stream":"stderr","text":"MARKER-1234"}"#))
        #expect(json.contains(#""text":"\u003cscript>alert(1)\u003c/script>""#))
        #expect(json.contains(#""command":"python3 app.py --name \"x\"""#))
    }

    @Test func aSignalIsNamedAndTheTagChangesWithTheOutput() {
        var status = crashed()
        status.state = .exited(.killed(signal: 9))
        #expect(status.summary == "The app was killed by signal 9.")
        let tag = status.tag
        status.output.append(Array("more\n".utf8), from: .standardOutput)
        #expect(status.tag != tag)
        // The next run that crashes the same way, with as much output, is still a change.
        var next = crashed()
        next.run = 2
        #expect(next.tag != crashed().tag)
    }
}
