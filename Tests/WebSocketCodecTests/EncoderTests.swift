import Testing

@testable import WebSocketCodec

@Suite struct EncoderTests {
    @Test func rfcExamples() {
        // RFC 6455 §5.7.
        #expect(WebSocketFrameEncoder.text("Hello") == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(
            WebSocketFrameEncoder.text("Hello", maskingKey: (0x37, 0xFA, 0x21, 0x3D))
                == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(
            WebSocketFrameEncoder.frame(opcode: .text, payload: Array("Hel".utf8), fin: false)
                == [0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(
            WebSocketFrameEncoder.frame(opcode: .continuation, payload: Array("lo".utf8)) == [0x80, 0x02, 0x6C, 0x6F])
        #expect(
            WebSocketFrameEncoder.frame(opcode: .ping, payload: Array("Hello".utf8))
                == [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 256)).prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(
            Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 65536)).prefix(10))
                == [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
    }

    @Test(arguments: [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (70000, 10)])
    func lengthEncodings(count: Int, headerLength: Int) {
        let payload = [UInt8](repeating: 0x5A, count: count)
        let unmasked = WebSocketFrameEncoder.frame(opcode: .binary, payload: payload)
        #expect(unmasked.count == headerLength + count)
        #expect(unmasked[1] & 0x80 == 0)
        #expect(Array(unmasked[headerLength...]) == payload)
        let masked = WebSocketFrameEncoder.frame(opcode: .binary, payload: payload, maskingKey: (1, 2, 3, 4))
        #expect(masked.count == headerLength + 4 + count)
        #expect(masked[1] & 0x80 != 0)
        #expect(masked[1] & 0x7F == unmasked[1] & 0x7F)
        #expect(Array(masked[2..<headerLength]) == Array(unmasked[2..<headerLength]))
    }

    static let sampleFrames: [(frame: @Sendable (_ key: (UInt8, UInt8, UInt8, UInt8)?) -> [UInt8], event: WebSocketEvent)] = [
        ({ WebSocketFrameEncoder.text("héllo 🌍", maskingKey: $0) }, .text("héllo 🌍")),
        ({ WebSocketFrameEncoder.text("", maskingKey: $0) }, .text("")),
        ({ WebSocketFrameEncoder.text(String(repeating: "ß", count: 5000), maskingKey: $0) },
            .text(String(repeating: "ß", count: 5000))),
        ({ WebSocketFrameEncoder.binary(Array(0...255), maskingKey: $0) }, .binary(Array(0...255))),
        ({ WebSocketFrameEncoder.ping([1, 2, 3], maskingKey: $0) }, .ping([1, 2, 3])),
        ({ WebSocketFrameEncoder.frame(opcode: .pong, payload: [9], maskingKey: $0) }, .pong([9])),
        ({ WebSocketFrameEncoder.close(code: .goingAway, reason: "bye", maskingKey: $0) },
            .close(code: 1001, reason: "bye")),
        ({ WebSocketFrameEncoder.close(code: nil, reason: "ignored", maskingKey: $0) }, .close(code: nil, reason: "")),
        ({ WebSocketFrameEncoder.close(code: .serviceRestart, maskingKey: $0) }, .close(code: 1012, reason: "")),
    ]

    @Test func roundTripThroughClientParser() throws {
        var stream: [UInt8] = []
        for sample in Self.sampleFrames {
            #expect(try events(feeding: [sample.frame(nil)], role: .client) == [sample.event])
            stream += sample.frame(nil)
        }
        stream += WebSocketFrameEncoder.pong([4, 5])
        #expect(try events(feeding: [stream], role: .client) == Self.sampleFrames.map(\.event) + [.pong([4, 5])])
    }

    @Test func maskedRoundTripThroughServerParser() throws {
        var generator = SeededGenerator(seed: 7)
        var stream: [UInt8] = []
        for sample in Self.sampleFrames {
            let key = WebSocketFrameEncoder.makeMaskingKey(using: &generator)
            let frame = sample.frame(key)
            #expect(try events(feeding: [frame]) == [sample.event])
            // A masked frame is not readable by a client-role parser.
            #expect(failure(feeding: [frame], role: .client)?.closeCode == .protocolError)
            stream += frame
        }
        #expect(try events(feeding: stream.map { [$0] }) == Self.sampleFrames.map(\.event))
    }

    @Test func serverFramesAreRejectedByServerParser() {
        #expect(failure(feeding: [WebSocketFrameEncoder.pong([1])])?.closeCode == .protocolError)
    }

    @Test func closeReasonIsTruncatedAtAUTF8Boundary() throws {
        let ascii = WebSocketFrameEncoder.close(code: .normalClosure, reason: String(repeating: "a", count: 200))
        #expect(ascii.count == 2 + 125)
        #expect(try events(feeding: [ascii], role: .client) == [.close(code: 1000, reason: String(repeating: "a", count: 123))])

        // 2-byte scalars: 61 fit in 123 bytes (122), the 62nd would be cut in half.
        let twoByte = WebSocketFrameEncoder.close(code: .normalClosure, reason: String(repeating: "é", count: 100))
        #expect(twoByte.count == 2 + 2 + 122)
        #expect(
            try events(feeding: [twoByte], role: .client)
                == [.close(code: 1000, reason: String(repeating: "é", count: 61))])

        // 4-byte scalars after one ASCII byte: 1 + 30 × 4 = 121.
        let fourByte = WebSocketFrameEncoder.close(
            code: .policyViolation, reason: "x" + String(repeating: "🌍", count: 40), maskingKey: (9, 8, 7, 6))
        #expect(fourByte.count == 2 + 4 + 2 + 121)
        #expect(try events(feeding: [fourByte]) == [.close(code: 1008, reason: "x" + String(repeating: "🌍", count: 30))])

        // Exactly 123 bytes stays whole.
        let exact = String(repeating: "é", count: 61) + "a"
        #expect(
            try events(feeding: [WebSocketFrameEncoder.close(code: .normalClosure, reason: exact)], role: .client)
                == [.close(code: 1000, reason: exact)])
    }

    @Test func everyProtocolErrorEncodesAsAValidCloseFrame() throws {
        let errors: [WebSocketProtocolError] = [
            failure(feeding: [[0x81, 0x05]]), failure(feeding: [clientFrame(.text, [0xFF])]),
            failure(feeding: [rawMaskedHeader(byte0: 0x82, length7: 127, extended: [0, 0, 0, 0, 0, 1, 0, 0])]),
        ].compactMap { $0 }
        #expect(errors.map(\.closeCode) == [.protocolError, .invalidFramePayloadData, .messageTooBig])
        for error in errors {
            let frame = WebSocketFrameEncoder.close(code: error.closeCode, reason: error.reason)
            #expect(
                try events(feeding: [frame], role: .client) == [.close(code: error.closeCode.rawValue, reason: error.reason)])
        }
    }

    @Test func pongIsUnmaskedAndCapped() {
        #expect(WebSocketFrameEncoder.pong([1, 2]) == [0x8A, 0x02, 1, 2])
        let long = WebSocketFrameEncoder.pong([UInt8](repeating: 3, count: 300))
        #expect(long.count == 2 + 125)
        #expect(long[1] == 125)
    }

    @Test func closeCodeConstants() {
        let codes: [(CloseCode, UInt16)] = [
            (.normalClosure, 1000), (.goingAway, 1001), (.protocolError, 1002), (.unsupportedData, 1003),
            (.invalidFramePayloadData, 1007), (.policyViolation, 1008), (.messageTooBig, 1009),
            (.internalError, 1011), (.serviceRestart, 1012), (.tryAgainLater, 1013),
        ]
        for (code, value) in codes {
            #expect(code.rawValue == value)
            #expect(CloseCode.isValidOnWire(code.rawValue))
        }
        let validCount = (0...UInt16.max).filter(CloseCode.isValidOnWire).count
        #expect(validCount == 4 + 8 + 2000)
    }
}
