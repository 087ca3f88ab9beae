import Testing

@testable import HTTPCodec

@Suite("ASCIIEscapes: one table-driven escaping loop")
struct ASCIIEscapesTests {
    static let brackets = ASCIIEscapes { byte in
        switch byte {
        case UInt8(ascii: "["): "(("
        case UInt8(ascii: "]"): "))"
        case 0: "\\0"
        default: nil
        }
    }

    @Test func bytesOfTheTableAreReplacedAndTheRestCopied() {
        #expect(Self.brackets.escape("a[b]c") == "a((b))c")
        #expect(Self.brackets.escape("x\u{0}y") == "x\\0y")
        #expect(Self.brackets.escape("") == "")
    }

    @Test func textWithNothingToEscapeComesBackUnchanged() {
        #expect(Self.brackets.escape("plain text, ümlauts") == "plain text, ümlauts")
    }

    @Test func multiByteCharactersPassWholeBesideEscapedBytes() {
        // Every byte of a multi-byte sequence is ≥ 0x80, so none can be mistaken for an ASCII one.
        #expect(Self.brackets.escape("[日本]é[👍🏽]") == "((日本))é((👍🏽))")
        #expect(Self.brackets.escape("e\u{301}[") == "e\u{301}((")
    }
}
