import HTMLInjection
import Testing

let snippet = #"<script data-reload-broker src="/__reload/client.js"></script>"#

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Feeds `body` cut at `cuts` (ascending offsets) and returns everything the injector emitted.
func streamed(_ body: [UInt8], cuts: [Int], snippet: String = snippet) -> [UInt8] {
    var injector = HTMLInjector(snippet: snippet)
    var out: [UInt8] = []
    var start = 0
    for cut in cuts + [body.count] {
        out += injector.feed(Array(body[start..<cut]))
        start = cut
    }
    out += injector.finish()
    return out
}

/// `output` with the first occurrence of `snippet` removed, or nil if it does not contain it.
func removingSnippet(_ output: [UInt8], _ snippet: String = snippet) -> [UInt8]? {
    let needle = bytes(snippet)
    guard output.count >= needle.count else { return nil }
    for start in 0...(output.count - needle.count) where output[start..<(start + needle.count)].elementsEqual(needle) {
        return Array(output[..<start] + output[(start + needle.count)...])
    }
    return nil
}

/// Small deterministic generator (SplitMix64) so randomized cases are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Chunking never changes the output")
struct ChunkingTests {
    static let inputs: [String] = [
        "<!doctype html>\n<html><head><title>Demo</title><meta charset=utf-8></head><body><p>Hi</p></body></html>\n",
        "<HTML><HEAD><TITLE>X</TITLE></HEAD><BODY>Y</BODY></HTML>",
        "<Html><Head><Title>x</tItLe></hEaD><bOdY>y</BoDy></hTmL>",
        "<html><head><script>let s = \"</head>\"</script ></head >\n<body></body></html>",
        "<html><head></head\t><body></body></html>",
        "<!doctype html><html><body class=\"main\"><h1>No head</h1></body></html>",
        "<!doctype html><p>no head and no body</p></html>",
        "<p>no head, no body, no html</p>\n",
        "",
        "just text in the body",
        "\u{FEFF}<!DOCTYPE html><html><head><!-- </head> --></head><body></body></html>",
        "<html><head><title>a </head> b</title><style>p{}</STYLE></head></html>",
        "<html><head><textarea></head></textarea><x></head></html>",
        "<div title=\"</head>\" data-x='<body>'>t</div><bodyguard></bodyguard></html>",
        "<< <b></hea> </headers> <body/>",
        "<html><head><meta data-reload-broker></head><body></body></html>",
        "<script>unterminated </head>",
        "<!-- unterminated </head>",
        "text then a cut tag </hea",
    ]

    @Test("every single split point gives the whole-body result", arguments: inputs)
    func everySplitPoint(input: String) {
        let body = bytes(input)
        let whole = HTMLInjector.inject(snippet, into: body)
        for cut in 0...body.count {
            #expect(streamed(body, cuts: [cut]) == whole, "cut at \(cut)")
        }
    }

    @Test("every pair of split points gives the whole-body result", arguments: inputs)
    func everySplitPair(input: String) {
        let body = bytes(input)
        let whole = HTMLInjector.inject(snippet, into: body)
        for first in 0...body.count {
            for second in first...body.count where streamed(body, cuts: [first, second]) != whole {
                Issue.record("cuts at \(first), \(second)")
            }
        }
    }

    @Test("one byte at a time gives the whole-body result", arguments: inputs)
    func oneByteChunks(input: String) {
        let body = bytes(input)
        #expect(streamed(body, cuts: Array(0..<body.count)) == HTMLInjector.inject(snippet, into: body))
    }

    @Test("the output minus the snippet is the input, byte for byte", arguments: inputs)
    func onlyTheSnippetIsAdded(input: String) {
        let body = bytes(input)
        var injector = HTMLInjector(snippet: snippet)
        let output = injector.feed(body) + injector.finish()
        if injector.didInject {
            #expect(removingSnippet(output) == body)
        } else {
            #expect(output == body)
        }
    }

    @Test("at most six bytes are ever held back")
    func boundedLookBehind() {
        for input in Self.inputs {
            var injector = HTMLInjector(snippet: snippet)
            var fed = 0
            var emitted = 0
            for byte in bytes(input) {
                let wasInjected = injector.didInject
                let out = injector.feed([byte])
                fed += 1
                emitted += out.count - (injector.didInject && !wasInjected ? snippet.utf8.count : 0)
                #expect(fed - emitted <= 6, "\(input) held \(fed - emitted) bytes")
            }
        }
    }

    @Test("random markup in random chunks matches the whole-body result")
    func randomized() {
        let pieces = [
            "<head>", "</head>", "</HEAD >", "</hea", "d>", "<body", ">", " ", "<bodyx>", "</html>", "<!--", "-->",
            "--!>", "<!-->", "<script>", "</script>", "</scr", "ipt>", "<title>", "</TITLE>", "<style x='>'>",
            "</style", "\"", "'", "=", "<p a=\"</head>\">", "text", "<", "/", "!", "-", "<!doctype html>",
            "data-reload", "-broker", "<?php ?>", "</>", "\t", "é",
        ]
        var random = SplitMix(state: 42)
        for _ in 0..<2_000 {
            let body = bytes((0..<Int.random(in: 0...14, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
            let whole = HTMLInjector.inject(snippet, into: body)
            var cuts = (0..<Int.random(in: 0...5, using: &random)).map { _ in Int.random(in: 0...body.count, using: &random) }
            cuts.sort()
            #expect(streamed(body, cuts: cuts) == whole, "\(text(body)) cut at \(cuts)")
            #expect(whole == body || removingSnippet(whole) == body, "\(text(body))")
        }
    }

    @Test("a large page in 16 KiB chunks and in 1-byte chunks gives the whole-body result")
    func largePage() {
        var page = "<!doctype html><html><head><title>Big</title><script>"
        page += String(repeating: "if (a < b && c > d) { s = '</head' + 'x' } // <body>\n", count: 800)
        page += "</script></head><body>"
        page += String(repeating: "<p class=\"row\">Row <b>bold</b> &amp; text.</p>\n", count: 1_600)
        page += "</body></html>"
        let body = bytes(page)
        let whole = HTMLInjector.inject(snippet, into: body)
        #expect(removingSnippet(whole) == body)
        #expect(text(whole).contains(snippet + "</head><body>"))
        #expect(streamed(body, cuts: Array(stride(from: 16_384, to: body.count, by: 16_384))) == whole)
        #expect(streamed(body, cuts: Array(0..<body.count)) == whole)
    }
}

@Suite("Where the snippet goes")
struct PlacementTests {
    func injected(_ input: String) -> String { text(HTMLInjector.inject("[S]", into: bytes(input))) }

    @Test func beforeHeadClose() {
        #expect(injected("<html><head><title>t</title></head><body></body></html>")
            == "<html><head><title>t</title>[S]</head><body></body></html>")
    }

    @Test func headCloseInAnyCaseAndWithWhitespace() {
        #expect(injected("<HEAD></HEAD><BODY>") == "<HEAD>[S]</HEAD><BODY>")
        #expect(injected("<head></Head\t>x") == "<head>[S]</Head\t>x")
        #expect(injected("<head></head >x") == "<head>[S]</head >x")
        #expect(injected("<head></head\n\n>x") == "<head>[S]</head\n\n>x")
    }

    @Test func beforeBodyWhenTheHeadIsImplicit() {
        #expect(injected("<html><title>t</title><body class=x>b</body></html>")
            == "<html><title>t</title>[S]<body class=x>b</body></html>")
        #expect(injected("<BODY>b") == "[S]<BODY>b")
        #expect(injected("<body/>b") == "[S]<body/>b")
        #expect(injected("<body\n>b") == "[S]<body\n>b")
    }

    @Test func bodyTagBeforeHeadCloseWins() {
        #expect(injected("<head><body></head>") == "<head>[S]<body></head>")
    }

    @Test func beforeHtmlCloseWhenNeither() {
        #expect(injected("<!doctype html><p>x</p></html>\n") == "<!doctype html><p>x</p>[S]</html>\n")
        #expect(injected("<p>x</p></HTML >") == "<p>x</p>[S]</HTML >")
    }

    @Test func atTheEndWhenNothingElse() {
        #expect(injected("<p>fragment</p>") == "<p>fragment</p>[S]")
        #expect(injected("just text") == "just text[S]")
        #expect(injected("") == "[S]")
    }

    @Test func neverAfterHtmlClose() {
        #expect(injected("<p>x</p></html><!-- trailing --></head>") == "<p>x</p>[S]</html><!-- trailing --></head>")
    }

    @Test func bomAndDoctypePassThrough() {
        #expect(injected("\u{FEFF}<!DOCTYPE html><head></head>") == "\u{FEFF}<!DOCTYPE html><head>[S]</head>")
    }

    @Test func headCloseInsideACommentIsIgnored() {
        #expect(injected("<head><!-- </head> <body> --></head>") == "<head><!-- </head> <body> -->[S]</head>")
        #expect(injected("<head><!--></head>") == "<head><!-->[S]</head>")
        #expect(injected("<head><!-- a --!></head>") == "<head><!-- a --!>[S]</head>")
        #expect(injected("<head><!-- a -- > </head> --></head>") == "<head><!-- a -- > </head> -->[S]</head>")
    }

    @Test func headCloseInsideRawTextIsIgnored() {
        #expect(injected("<head><script>x = '</head><body>'</script></head>")
            == "<head><script>x = '</head><body>'</script>[S]</head>")
        #expect(injected("<head><SCRIPT type=module>x='</head>'</ScRiPt ></head>")
            == "<head><SCRIPT type=module>x='</head>'</ScRiPt >[S]</head>")
        #expect(injected("<head><title></head> & <body></title></head>") == "<head><title></head> & <body></title>[S]</head>")
        #expect(injected("<head><style>/* </head> */</style></head>") == "<head><style>/* </head> */</style>[S]</head>")
        #expect(injected("<textarea><body></textarea><body>") == "<textarea><body></textarea>[S]<body>")
    }

    @Test func rawTextEndTagNeedsADelimiter() {
        #expect(injected("<script></scripts></head></script></head>") == "<script></scripts></head></script>[S]</head>")
    }

    @Test func tagLikeTextInAttributeValuesIsIgnored() {
        #expect(injected("<meta content=\"</head>\" x='<body>'></head>") == "<meta content=\"</head>\" x='<body>'>[S]</head>")
        #expect(injected("<script src=\">\"></head></script></head>") == "<script src=\">\"></head></script>[S]</head>")
    }

    @Test func tagsAreFoundAtEveryOffsetOfALongTextRun() {
        for offset in 0..<40 {
            let lead = String(repeating: "é-x", count: offset / 3) + String(repeating: "y", count: offset % 3)
            #expect(injected(lead + "</head>" + lead) == lead + "[S]</head>" + lead)
            #expect(injected("<script>" + lead + "</script>" + lead + "<body>") == "<script>" + lead + "</script>" + lead + "[S]<body>")
            let marked = bytes(lead + "<meta data-reload-broker></head>")
            #expect(HTMLInjector.inject("[S]", into: marked) == marked)
        }
    }

    @Test func similarNamesAreNotTargets() {
        #expect(injected("<bodyguard></bodyguard><body>") == "<bodyguard></bodyguard>[S]<body>")
        #expect(injected("<header></header></headx></head>") == "<header></header></headx>[S]</head>")
        #expect(injected("<b>x</b>< body></htmlx>") == "<b>x</b>< body></htmlx>[S]")
    }

    @Test func bodyEndingInsideACommentOrScriptGetsNoSnippet() {
        #expect(injected("<p>x</p><!-- open") == "<p>x</p><!-- open")
        #expect(injected("<script>let a = 1") == "<script>let a = 1")
        #expect(injected("<p class=\"x") == "<p class=\"x")
    }

    @Test func aTagCutOffAtTheEndGetsTheSnippetBeforeIt() {
        #expect(injected("<p>x</p></hea") == "<p>x</p>[S]</hea")
        #expect(injected("text <") == "text [S]<")
    }
}

@Suite("Double-injection guard")
struct MarkerTests {
    @Test func markerBeforeTheInjectionPointLeavesTheBodyAlone() {
        let page = bytes("<html><head><script data-reload-broker src=/x.js></script></head><body></body></html>")
        var injector = HTMLInjector(snippet: snippet)
        let output = injector.feed(page) + injector.finish()
        #expect(output == page)
        #expect(!injector.didInject)
        #expect(HTMLInjector.inject(snippet, into: page) == page)
    }

    @Test func markerSplitAcrossChunksIsFound() {
        let page = bytes("<head><script data-reload-broker></script></head>")
        for cut in 0...page.count {
            #expect(streamed(page, cuts: [cut]) == page)
        }
    }

    @Test func markerAfterTheInjectionPointDoesNotMatter() {
        let output = HTMLInjector.inject("[S]", into: bytes("<head></head><p>data-reload-broker</p>"))
        #expect(text(output) == "<head>[S]</head><p>data-reload-broker</p>")
    }

    @Test func customMarkerWithRepeatedPrefixIsFound() {
        let page = bytes("<head><x aaab></head>")
        #expect(HTMLInjector.inject("[S]", into: page, marker: "aab") == page)
        #expect(text(HTMLInjector.inject("[S]", into: page, marker: "abab")) == "<head><x aaab>[S]</head>")
    }

    @Test(arguments: [
        "<head><script>document.querySelector('[data-reload-broker]')</script></head>",
        "<head><!-- data-reload-broker --></head>",
        "<head><title>data-reload-broker</title></head>",
        "<head><meta content=\"data-reload-broker\"></head>",
        "data-reload-broker<head></head>",
    ])
    func markerOutsideAnAttributeDoesNotStopInjection(page: String) {
        let output = text(HTMLInjector.inject("[S]", into: bytes(page)))
        #expect(output.contains("[S]</head>"))
    }

    @Test func emptyMarkerDisablesTheGuard() {
        #expect(text(HTMLInjector.inject("[S]", into: bytes("<head></head>"), marker: "")) == "<head>[S]</head>")
    }
}

@Suite("Streaming behaviour")
struct StreamingTests {
    @Test func bytesBeforeAPossibleTagGoOutAtOnce() {
        var injector = HTMLInjector(snippet: "[S]")
        #expect(text(injector.feed(bytes("<html><head><title>t</title></he"))) == "<html><head><title>t</title>")
        #expect(!injector.didInject)
        #expect(text(injector.feed(bytes("ad>rest"))) == "[S]</head>rest")
        #expect(injector.didInject)
        #expect(text(injector.feed(bytes("</head></html>"))) == "</head></html>")
        #expect(injector.finish().isEmpty)
    }

    @Test func spanAndArrayFeedsAgree() {
        let page = bytes("<html><head></head></html>")
        var fromSpan = HTMLInjector(snippet: snippet)
        var fromArray = HTMLInjector(snippet: snippet)
        let spanOutput = fromSpan.feed(page.span) + fromSpan.finish()
        #expect(spanOutput == fromArray.feed(page) + fromArray.finish())
    }

    @Test func finishWithoutInjectionPointAppendsSnippetOnce() {
        var injector = HTMLInjector(snippet: "[S]")
        #expect(text(injector.feed(bytes("<p>a</p>"))) == "<p>a</p>")
        #expect(text(injector.finish()) == "[S]")
        #expect(injector.finish().isEmpty)
        #expect(injector.didInject)
    }

    @Test func defaultMarker() {
        #expect(HTMLInjector.defaultMarker == "data-reload-broker")
    }
}
