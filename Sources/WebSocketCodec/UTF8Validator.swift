/// An incremental UTF-8 validator: a small hand-written DFA over the
/// well-formed byte sequences of Unicode Table 3-7.
///
/// Why hand-written: RFC 6455 §8.1 requires text messages to be valid UTF-8,
/// and a text message may arrive in fragments (§5.4) split anywhere, even inside
/// a code point. The endpoint should fail as soon as the data can no longer be
/// valid (§8.1: "MUST _Fail the WebSocket Connection_"), so validation must carry
/// its state from one fragment to the next. The standard library's decoding
/// (`String(validating:)`, `UTF8.decode`) only judges complete buffers and does
/// not expose "valid so far, but a sequence is still open" — this does, in one
/// byte of state.
///
/// The DFA rejects everything that is not well-formed UTF-8: overlong forms
/// (C0, C1, E0 80-9F, F0 80-8F), UTF-16 surrogates (ED A0-BF), code points
/// above U+10FFFF (F4 90-BF, F5-FF) and stray continuation bytes.
struct UTF8Validator: Sendable, Equatable {
    private var state: State = .accept

    private enum State: UInt8, Sendable {
        /// Between code points; a message may end here.
        case accept
        /// A byte was wrong; stays here.
        case reject
        /// 1, 2 or 3 more bytes of 80-BF.
        case need1, need2, need3
        /// After E0: the next byte is A0-BF (no overlongs), then one more.
        case afterE0
        /// After ED: the next byte is 80-9F (no surrogates), then one more.
        case afterED
        /// After F0: the next byte is 90-BF (no overlongs), then two more.
        case afterF0
        /// After F4: the next byte is 80-8F (≤ U+10FFFF), then two more.
        case afterF4
    }

    /// True between code points: everything fed so far is complete, valid UTF-8.
    var isComplete: Bool { state == .accept }

    /// Feeds more bytes; returns false as soon as the input cannot be valid UTF-8
    /// (and every later call returns false too).
    mutating func feed(_ bytes: Span<UInt8>) -> Bool {
        var state = self.state
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            index += 1
            if state == .accept, byte < 0x80 { continue }  // ASCII fast path
            state = Self.transition(state, byte)
            if state == .reject { break }
        }
        self.state = state
        return state != .reject
    }

    /// Feeds an array's bytes (see `feed(_:)` over a span).
    mutating func feed(_ bytes: [UInt8]) -> Bool { feed(bytes.span) }

    private static func transition(_ state: State, _ byte: UInt8) -> State {
        switch state {
        case .accept:
            switch byte {
            case 0x00...0x7F: .accept
            case 0xC2...0xDF: .need1
            case 0xE0: .afterE0
            case 0xE1...0xEC, 0xEE...0xEF: .need2
            case 0xED: .afterED
            case 0xF0: .afterF0
            case 0xF1...0xF3: .need3
            case 0xF4: .afterF4
            default: .reject  // 80-BF stray continuation, C0/C1 overlong, F5-FF
            }
        case .need1: (0x80...0xBF).contains(byte) ? .accept : .reject
        case .need2: (0x80...0xBF).contains(byte) ? .need1 : .reject
        case .need3: (0x80...0xBF).contains(byte) ? .need2 : .reject
        case .afterE0: (0xA0...0xBF).contains(byte) ? .need1 : .reject
        case .afterED: (0x80...0x9F).contains(byte) ? .need1 : .reject
        case .afterF0: (0x90...0xBF).contains(byte) ? .need2 : .reject
        case .afterF4: (0x80...0x8F).contains(byte) ? .need2 : .reject
        case .reject: .reject
        }
    }
}
