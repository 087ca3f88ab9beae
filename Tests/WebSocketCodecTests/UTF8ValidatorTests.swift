import Testing

@testable import WebSocketCodec

@Suite struct UTF8ValidatorTests {
    /// The reference answer: the standard library's whole-buffer validation.
    static func stdlibAccepts(_ bytes: [UInt8]) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    static func validatorAccepts(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isComplete
    }

    @Test(arguments: [
        "", "plain ASCII", "é", "€uro", "🌍 world", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}",
        "\u{D7FF}\u{E000}", "日本語のテキスト",
    ])
    func acceptsValidText(text: String) {
        let bytes = Array(text.utf8)
        #expect(Self.validatorAccepts(bytes))
        // Fed one byte at a time, it is never rejected and ends complete.
        var validator = UTF8Validator()
        for byte in bytes {
            let accepted = validator.feed([byte])
            #expect(accepted)
        }
        #expect(validator.isComplete)
    }

    @Test(arguments: ParserErrorTests.invalidUTF8)
    func rejectsInvalidSequences(bytes: [UInt8]) {
        #expect(!Self.validatorAccepts(bytes))
        var validator = UTF8Validator()
        let acceptedBytes = validator.feed(bytes)
        #expect(!acceptedBytes)
        let acceptedMore = validator.feed([0x61])
        #expect(!acceptedMore, "stays rejected")
    }

    @Test func agreesWithStdlibOnAllOneAndTwoByteInputs() {
        for first in 0...255 {
            #expect(Self.validatorAccepts([UInt8(first)]) == Self.stdlibAccepts([UInt8(first)]))
            for second in 0...255 {
                let bytes = [UInt8(first), UInt8(second)]
                #expect(Self.validatorAccepts(bytes) == Self.stdlibAccepts(bytes), "\(bytes)")
            }
        }
    }

    /// Every lead byte and second byte, and third bytes at each class boundary.
    @Test func agreesWithStdlibOnThreeByteInputsWithALeadByte() {
        let thirds: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED,
            0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        var disagreements = 0
        for first in 0xC0...0xFF {
            for second in 0...255 {
                for third in thirds {
                    let bytes = [UInt8(first), UInt8(second), third]
                    if Self.validatorAccepts(bytes) != Self.stdlibAccepts(bytes) { disagreements += 1 }
                }
            }
        }
        #expect(disagreements == 0)
    }

    @Test func agreesWithStdlibOnRandomFourByteInputs() {
        var generator = SeededGenerator(seed: 2024)
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED,
            0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF]
        var disagreements: [[UInt8]] = []
        for _ in 0..<100_000 {
            let bytes = (0..<4).map { _ in
                Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            if Self.validatorAccepts(bytes) != Self.stdlibAccepts(bytes) { disagreements.append(bytes) }
        }
        #expect(disagreements == [])
    }

    @Test func incompleteSequenceIsNotComplete() {
        var validator = UTF8Validator()
        let firstHalf = validator.feed([0xF0, 0x9F])
        #expect(firstHalf)
        #expect(!validator.isComplete)
        let secondHalf = validator.feed([0x8C, 0x8D])
        #expect(secondHalf)
        #expect(validator.isComplete)
    }
}
