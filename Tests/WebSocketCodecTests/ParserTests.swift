import Testing

@testable import WebSocketCodec

@Suite struct ParserValidSequenceTests {
    /// RFC 6455 §5.7: a single-frame masked text message containing "Hello".
    static let rfcMaskedHello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]

    /// "wörld" with the two bytes of "ö" (C3 B6) split across the fragments.
    static let fragmentedText: [UInt8] =
        clientFrame(.text, Array("Hel".utf8), fin: false)
        + clientFrame(.ping, Array("are you there".utf8))
        + clientFrame(.continuation, Array("lo w".utf8) + [0xC3], fin: false, key: (1, 2, 3, 4))
        + clientFrame(.pong, [])
        + clientFrame(.continuation, [0xB6] + Array("rld 🌍".utf8), key: (0xFF, 0, 0x80, 0x7F))

    static let text126 = String(repeating: "é", count: 63)  // 126 UTF-8 bytes
    static let binary65536 = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var expected: [WebSocketEvent]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "RFC masked Hello", bytes: rfcMaskedHello, expected: [.text("Hello")]),
        Case(
            name: "126-byte text (16-bit length)", bytes: clientFrame(.text, Array(text126.utf8)),
            expected: [.text(text126)]),
        Case(
            name: "fragmented text with ping and pong between",
            bytes: fragmentedText,
            expected: [.ping(Array("are you there".utf8)), .pong([]), .text("Hello wörld 🌍")]),
        Case(
            name: "close with code and reason",
            bytes: clientFrame(.close, [0x03, 0xE8] + Array("bye ✓".utf8)),
            expected: [.close(code: 1000, reason: "bye ✓")]),
        Case(name: "close without payload", bytes: clientFrame(.close, []), expected: [.close(code: nil, reason: "")]),
        Case(
            name: "empty text, empty binary, fragmented binary with empty fragments",
            bytes: clientFrame(.text, []) + clientFrame(.binary, [])
                + clientFrame(.binary, [], fin: false) + clientFrame(.continuation, [1, 2], fin: false)
                + clientFrame(.continuation, []),
            expected: [.text(""), .binary([]), .binary([1, 2])]),
        Case(
            name: "several frames back to back",
            bytes: rfcMaskedHello + clientFrame(.binary, [0, 1, 2, 3, 4, 5, 6, 7, 8])
                + clientFrame(.ping, [9]) + clientFrame(.close, [0x0F, 0xA0]),
            expected: [.text("Hello"), .binary([0, 1, 2, 3, 4, 5, 6, 7, 8]), .ping([9]), .close(code: 4000, reason: "")]),
        Case(
            name: "non-minimal 64-bit length is accepted",
            bytes: [0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58],
            expected: [.text("Hello")]),
    ]

    @Test(arguments: cases)
    func sameEventsAtEverySplit(_ testCase: Case) throws {
        #expect(try events(feeding: [testCase.bytes]) == testCase.expected)
        for split in 0...testCase.bytes.count {
            let pieces = [Array(testCase.bytes[..<split]), Array(testCase.bytes[split...])]
            #expect(try events(feeding: pieces) == testCase.expected, "split at \(split)")
        }
        // Every boundary at once: one byte at a time.
        #expect(try events(feeding: testCase.bytes.map { [$0] }) == testCase.expected)
    }

    @Test func allCasesInOneStreamAtEverySplit() throws {
        let stream = Self.cases.flatMap(\.bytes)
        let expected = Self.cases.flatMap(\.expected)
        for split in 0...stream.count {
            let pieces = [Array(stream[..<split]), Array(stream[split...])]
            #expect(try events(feeding: pieces) == expected, "split at \(split)")
        }
    }

    /// 65536 bytes take the 64-bit length. Splitting a 64 KiB frame in two at each of
    /// its 65,550 boundaries would copy ~4 GB in a debug build, so every boundary is
    /// covered at once by feeding one byte at a time, plus two-piece splits at every
    /// boundary of the header and around the payload's start and end, and a stride between.
    @Test func binary65536AtEverySplit() throws {
        let bytes = clientFrame(.binary, Self.binary65536)
        #expect(Array(bytes[0..<10]) == [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0])
        let expected: [WebSocketEvent] = [.binary(Self.binary65536)]
        let max = 1 << 20
        #expect(try events(feeding: [bytes], maxMessageBytes: max) == expected)
        #expect(try events(feeding: bytes.map { [$0] }, maxMessageBytes: max) == expected)
        let splits = Array(0...40) + Array(stride(from: 41, to: bytes.count - 40, by: 997))
            + Array((bytes.count - 40)...bytes.count)
        for split in splits {
            let pieces = [Array(bytes[..<split]), Array(bytes[split...])]
            #expect(try events(feeding: pieces, maxMessageBytes: max) == expected, "split at \(split)")
        }
    }

    @Test func messageOfExactlyTheLimitIsAccepted() throws {
        let payload = [UInt8](repeating: 0x61, count: 16 * 1024)
        let bytes = clientFrame(.text, Array(payload[..<10_000]), fin: false)
            + clientFrame(.continuation, Array(payload[10_000...]))
        #expect(try events(feeding: [bytes]) == [.text(String(repeating: "a", count: 16 * 1024))])
    }

    @Test func clientRoleAcceptsUnmaskedServerFrames() throws {
        // RFC 6455 §5.7: unmasked "Hello", then fragmented "Hel" + "lo".
        let bytes: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]
        for split in 0...bytes.count {
            let pieces = [Array(bytes[..<split]), Array(bytes[split...])]
            #expect(try events(feeding: pieces, role: .client) == [.text("Hello"), .text("Hello")])
        }
    }

    @Test func idleParserHoldsNoStorage() throws {
        var parser = WebSocketParser()
        let bytes = Self.fragmentedText
        parser.append(Array(bytes[..<(bytes.count - 3)]))
        #expect(try drain(&parser).count == 2)  // ping and pong; the text is not complete yet
        #expect(parser.bufferedByteCount > 0)
        parser.append(Array(bytes[(bytes.count - 3)...]))
        #expect(try drain(&parser) == [.text("Hello wörld 🌍")])
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.storageCapacity == 0)
    }

    @Test func onlyAPartialHeaderStaysInTheInput() throws {
        var parser = WebSocketParser()
        let first = clientFrame(.binary, [UInt8](repeating: 7, count: 1000))  // 8-byte header
        let second = clientFrame(.text, Array("next".utf8))
        parser.append(Array(first[..<500]))
        #expect(try parser.next() == nil)
        // The 492 payload bytes moved into the message; the input storage is gone.
        #expect(parser.bufferedByteCount == 492)
        #expect(parser.storageCapacity < 1000)
        parser.append(Array(first[500...]) + Array(second[..<3]))
        #expect(try parser.next() == .binary([UInt8](repeating: 7, count: 1000)))
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 3)  // a partial header
        parser.append(Array(second[3...]))
        #expect(try parser.next() == .text("next"))
        #expect(parser.storageCapacity == 0)
    }

    @Test func unmaskHandlesEveryOffsetAndLength() {
        let key: UInt32 = 0x37FA_213D
        let keyBytes: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        for offset in 0..<4 {
            for length in 0..<20 {
                let original = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 13) }
                var bytes: [UInt8] = [0xAA, 0xBB] + original
                WebSocketParser.unmask(&bytes, from: 2, key: key, offset: offset)
                let expected = original.enumerated().map { $0.element ^ keyBytes[($0.offset + offset) % 4] }
                #expect(bytes == [0xAA, 0xBB] + expected, "offset \(offset) length \(length)")
            }
        }
    }

    @Test func parserStaysSmall() {
        // It lives in every connection.
        #expect(MemoryLayout<WebSocketParser>.size <= 96)
    }
}

@Suite struct ParserErrorTests {
    static func expectFailure(
        _ chunks: [[UInt8]], _ code: CloseCode, role: WebSocketRole = .server, maxMessageBytes: Int = 16 * 1024,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = failure(feeding: chunks, role: role, maxMessageBytes: maxMessageBytes)
        #expect(error?.closeCode == code, sourceLocation: sourceLocation)
        if let error {
            #expect(!error.reason.isEmpty && error.reason.utf8.count <= 123, sourceLocation: sourceLocation)
        }
    }

    @Test func unmaskedClientFrameIs1002() {
        Self.expectFailure([WebSocketFrameEncoder.text("Hello")], .protocolError)
        // Detected from the first two bytes.
        Self.expectFailure([[0x81, 0x05]], .protocolError)
    }

    @Test func maskedServerFrameIs1002ForAClient() {
        Self.expectFailure([clientFrame(.text, Array("Hello".utf8))], .protocolError, role: .client)
    }

    @Test(arguments: [UInt8(0x40), 0x20, 0x10, 0x70])
    func reservedBitsAre1002(bits: UInt8) {
        Self.expectFailure([rawMaskedHeader(byte0: 0x80 | bits | 0x1, length7: 0)], .protocolError)
        Self.expectFailure([[0x80 | bits | 0x1]] + [[0x80]], .protocolError)
    }

    @Test(arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func reservedOpcodesAre1002(opcode: UInt8) {
        Self.expectFailure([rawMaskedHeader(byte0: 0x80 | opcode, length7: 0)], .protocolError)
    }

    @Test(arguments: [WebSocketOpcode.ping, .pong, .close])
    func longControlFramesAre1002(opcode: WebSocketOpcode) {
        // 126 bytes through the 16-bit length, and 200 through the 64-bit one: refused at the header.
        Self.expectFailure([rawMaskedHeader(byte0: 0x80 | opcode.rawValue, length7: 126, extended: [0, 126])], .protocolError)
        Self.expectFailure([[0x80 | opcode.rawValue, 0xFF]], .protocolError)
        Self.expectFailure([clientFrame(opcode, [UInt8](repeating: 0, count: 126))], .protocolError)
    }

    @Test(arguments: [WebSocketOpcode.ping, .pong, .close])
    func fragmentedControlFramesAre1002(opcode: WebSocketOpcode) {
        Self.expectFailure([clientFrame(opcode, [1, 2, 3], fin: false)], .protocolError)
        // Also in the middle of a fragmented message.
        Self.expectFailure(
            [clientFrame(.text, [0x61], fin: false) + clientFrame(opcode, [], fin: false)], .protocolError)
    }

    @Test func continuationWithoutMessageIs1002() {
        Self.expectFailure([clientFrame(.continuation, Array("lo".utf8))], .protocolError)
        // Also after a message already finished.
        Self.expectFailure(
            [clientFrame(.text, Array("Hel".utf8), fin: false) + clientFrame(.continuation, Array("lo".utf8))
                + clientFrame(.continuation, [])],
            .protocolError)
    }

    @Test(arguments: [WebSocketOpcode.text, .binary])
    func newMessageInsideFragmentedMessageIs1002(opcode: WebSocketOpcode) {
        Self.expectFailure(
            [clientFrame(.binary, [1], fin: false) + clientFrame(opcode, [2])], .protocolError)
        Self.expectFailure(
            [clientFrame(.text, [0x61], fin: false) + clientFrame(.ping, []) + clientFrame(opcode, [0x62])],
            .protocolError)
    }

    @Test func lengthWithTopBitSetIs1002() {
        Self.expectFailure(
            [rawMaskedHeader(byte0: 0x82, length7: 127, extended: [0x80, 0, 0, 0, 0, 0, 0, 1])], .protocolError,
            maxMessageBytes: .max)
    }

    @Test func oversizeFrameIs1009BeforeAnyPayload() throws {
        for length7 in [UInt8(126), 127] {
            var parser = WebSocketParser(maxMessageBytes: 16 * 1024)
            // Only the header up to its length: 16385 bytes announced, no mask key yet.
            let extended: [UInt8] = length7 == 126 ? [0x40, 0x01] : [0, 0, 0, 0, 0, 0, 0x40, 0x01]
            parser.append([0x82, 0x80 | length7] + extended)
            #expect(nextError(&parser) == WebSocketProtocolError(closeCode: .messageTooBig, reason: "message too big"))
            #expect(parser.bufferedByteCount == 0)
            #expect(parser.storageCapacity == 0)
        }
        // A huge announced length fails the same way, without allocating for it.
        Self.expectFailure(
            [rawMaskedHeader(byte0: 0x81, length7: 127, extended: [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])],
            .messageTooBig)
    }

    @Test func oversizeAcrossFragmentsIs1009AtTheHeader() throws {
        var parser = WebSocketParser(maxMessageBytes: 1000)
        parser.append(clientFrame(.binary, [UInt8](repeating: 1, count: 600), fin: false))
        parser.append(clientFrame(.ping, [5]))
        #expect(try drain(&parser) == [.ping([5])])
        // 600 + 401 > 1000: refused from the header alone.
        parser.append(Array(clientFrame(.continuation, [UInt8](repeating: 2, count: 401))[..<8]))
        #expect(nextError(&parser)?.closeCode == .messageTooBig)
        #expect(parser.bufferedByteCount == 0)
        // 600 + 400 fits.
        #expect(
            failure(
                feeding: [clientFrame(.binary, [UInt8](repeating: 1, count: 600), fin: false),
                    clientFrame(.continuation, [UInt8](repeating: 2, count: 400))],
                maxMessageBytes: 1000) == nil)
        Self.expectFailure(
            [clientFrame(.text, [UInt8](repeating: 0x61, count: 600), fin: false),
                clientFrame(.continuation, [UInt8](repeating: 0x61, count: 401))],
            .messageTooBig, maxMessageBytes: 1000)
    }

    /// Overlong forms, surrogates, beyond U+10FFFF, stray continuations, bytes never in UTF-8.
    static let invalidUTF8: [[UInt8]] = [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0x80],
        [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE], [0x80], [0x61, 0xBF], [0xC3, 0x28], [0xE2, 0x82, 0x28],
    ]

    @Test(arguments: invalidUTF8)
    func invalidUTF8InOneFrameIs1007(bytes: [UInt8]) {
        Self.expectFailure([clientFrame(.text, Array("ok ".utf8) + bytes + Array(" end".utf8))], .invalidFramePayloadData)
    }

    @Test(arguments: [[UInt8(0xC3)], [0xE2, 0x82], [0xF0, 0x9F, 0x8C]])
    func truncatedUTF8AtMessageEndIs1007(bytes: [UInt8]) {
        Self.expectFailure([clientFrame(.text, Array("ok".utf8) + bytes)], .invalidFramePayloadData)
        // Split over fragments, the last of them empty.
        Self.expectFailure(
            [clientFrame(.text, Array("ok".utf8) + bytes, fin: false) + clientFrame(.continuation, [])],
            .invalidFramePayloadData)
    }

    @Test func invalidUTF8AcrossFragmentsFailsOnTheFragmentThatBreaksIt() throws {
        var parser = WebSocketParser()
        // "€" is E2 82 AC; the first fragment ends inside it and is fine.
        parser.append(clientFrame(.text, Array("price: ".utf8) + [0xE2, 0x82], fin: false))
        #expect(try parser.next() == nil)
        // The next fragment is not final, yet it fails at once: 0x28 cannot continue "€".
        parser.append(clientFrame(.continuation, [0x28, 0x61, 0x62], fin: false))
        #expect(nextError(&parser)?.closeCode == .invalidFramePayloadData)
        let error = failure(
            feeding: [clientFrame(.text, Array("price: ".utf8) + [0xE2, 0x82], fin: false),
                clientFrame(.continuation, [0x28], fin: false)])
        #expect(error?.closeCode == .invalidFramePayloadData)
    }

    @Test func invalidUTF8FailsBeforeTheFrameIsComplete() throws {
        var parser = WebSocketParser()
        let frame = clientFrame(.text, [0x61, 0xFF] + [UInt8](repeating: 0x61, count: 1000))
        parser.append(Array(frame[..<(8 + 2)]))  // header and the first two payload bytes only
        #expect(nextError(&parser)?.closeCode == .invalidFramePayloadData)
    }

    @Test func binaryIsNotUTF8Checked() throws {
        #expect(try events(feeding: [clientFrame(.binary, [0xFF, 0xC0, 0x80])]) == [.binary([0xFF, 0xC0, 0x80])])
    }

    @Test(arguments: [UInt16(0), 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
    func closeCodesNotValidOnTheWireAre1002(code: UInt16) {
        Self.expectFailure([clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)])], .protocolError)
    }

    @Test(arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999])
    func closeCodesValidOnTheWireAreReported(code: UInt16) throws {
        let frame = clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array("why".utf8))
        #expect(try events(feeding: [frame]) == [.close(code: code, reason: "why")])
    }

    @Test func oneByteCloseIs1002() {
        Self.expectFailure([clientFrame(.close, [0x03])], .protocolError)
    }

    @Test(arguments: invalidUTF8 + [[0xE2, 0x82]])
    func invalidUTF8CloseReasonIs1007(bytes: [UInt8]) {
        Self.expectFailure([clientFrame(.close, [0x03, 0xE8] + bytes)], .invalidFramePayloadData)
    }

    @Test func failedParserStaysFailed() throws {
        var parser = WebSocketParser()
        parser.append(clientFrame(.text, [0xFF]))
        let expected = WebSocketProtocolError(closeCode: .invalidFramePayloadData, reason: "invalid UTF-8 in text message")
        #expect(nextError(&parser) == expected)
        parser.append(ParserValidSequenceTests.rfcMaskedHello)
        #expect(parser.bufferedByteCount == 0)
        #expect(nextError(&parser) == expected)
        #expect(nextError(&parser) == expected)
    }

    @Test func eventsBeforeAnErrorAreDelivered() throws {
        var parser = WebSocketParser()
        parser.append(ParserValidSequenceTests.rfcMaskedHello + [0x81, 0x05])
        #expect(try parser.next() == .text("Hello"))
        #expect(nextError(&parser)?.closeCode == .protocolError)
    }
}
