/// Turns one stream's bytes into clean lines: a small state machine over escape sequences.
struct LineAssembler: Sendable, Equatable {
    enum Escape: Sendable, Equatable {
        case none
        /// After ESC.
        case escape
        /// In a control sequence (`ESC [`), until its final byte.
        case controlSequence
        /// In an operating system command or string (`ESC ]`, `ESC P`…), until BEL or `ESC \`.
        case string
        /// ESC inside a string: `\` ends it.
        case stringEscape
    }

    var escape = Escape.none
    /// The unfinished line's bytes.
    var current: [UInt8] = []
    /// A carriage return came: the next printable byte starts the line over.
    var pendingReturn = false

    var currentText: String { String(decoding: current, as: UTF8.self) }

    mutating func finishLine() -> String {
        let text = currentText
        current = []
        pendingReturn = false
        return text
    }

    mutating func feed(_ bytes: some Sequence<UInt8>, lineLimit: Int, _ line: (String) -> Void) {
        for byte in bytes {
            // A newline ends any sequence left open (an unterminated title would hide every line after it).
            if byte == UInt8(ascii: "\n"), escape != .none { escape = .none }
            switch escape {
            case .escape:
                switch byte {
                case UInt8(ascii: "["): escape = .controlSequence
                case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                    escape = .string
                case 0x20...0x2F: break  // intermediate bytes of a two-byte sequence (`ESC ( B`)
                default: escape = .none  // the final byte of `ESC c`, `ESC 7`, `ESC ( B`…
                }
                continue
            case .controlSequence:
                if (0x40...0x7E).contains(byte) { escape = .none }
                if byte == 0x1B { escape = .escape }
                continue
            case .string:
                if byte == 0x07 { escape = .none }
                if byte == 0x1B { escape = .stringEscape }
                continue
            case .stringEscape:
                escape = byte == UInt8(ascii: "\\") ? .none : .string
                continue
            case .none:
                break
            }
            switch byte {
            case 0x1B:
                escape = .escape
            case UInt8(ascii: "\n"):
                line(finishLine())
            case UInt8(ascii: "\r"):
                pendingReturn = true
            case UInt8(ascii: "\t"):
                append(byte, lineLimit: lineLimit)
            case 0x00..<0x20, 0x7F:
                continue  // other C0 controls (bell, backspace) show nothing useful
            default:
                append(byte, lineLimit: lineLimit)
            }
        }
    }

    private mutating func append(_ byte: UInt8, lineLimit: Int) {
        if pendingReturn {
            pendingReturn = false
            current = []
        }
        // A line longer than the whole window: its end is dropped (no unbounded growth).
        if current.count < lineLimit { current.append(byte) }
    }
}
