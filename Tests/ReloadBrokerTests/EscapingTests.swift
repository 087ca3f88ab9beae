import HTMLInjection
import Testing

@testable import ReloadBroker

@Suite("Escaping: HTML text and JSON strings")
struct EscapingTests {
    @Test func htmlEscapingWritesTheFiveSpecialCharactersAsReferences() {
        #expect(HTMLEscaping.escape(#"<a href="x" title='y'>&</a>"#)
            == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLEscaping.escape("café ✓") == "café ✓")
    }

    @Test func jsonEscapingFollowsRFC8259AndIsSafeInsideAScript() {
        #expect(Messages.jsonEscaped(#"a "q" \ b"#) == #"a \"q\" \\ b"#)
        #expect(Messages.jsonEscaped("l1\nl2\r\tx") == #"l1\nl2\r\tx"#)
        #expect(Messages.jsonEscaped("</script>") == #"\u003c/script>"#)
    }

    @Test func jsonEscapingWritesOtherControlCharactersAsUnicodeEscapes() {
        #expect(Messages.jsonEscaped("\u{0}\u{1}\u{8}\u{1F}") == #"\u0000\u0001\u0008\u001f"#)
        #expect(Messages.jsonEscaped("\u{7F}é日") == "\u{7F}é日")  // DEL and non-ASCII stay as they are
    }
}
