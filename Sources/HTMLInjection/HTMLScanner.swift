import HTTPCodec

/// What one scanned byte means for the injector.
enum ScanSignal {
    /// Nothing the injector has to act on.
    case none
    /// A `<` in text: a tag that could be the injection point starts at this byte.
    case open
    /// The tracked tag cannot be an injection point after all.
    case drop
    /// The tracked tag was dropped and another candidate `<` starts at this byte (`<<body`).
    case reopen
    /// The tracked tag is `</head`, `<body` or `</html` with its name complete: insert before its `<`.
    case place
}

/// A byte-at-a-time subset of the HTML tokenizer, just enough to find the injection point.
///
/// Injection must not be fooled by tag-like text the browser does not treat as a tag
/// (`"</head>"` in a script string, a commented-out `<body>`, an attribute value), so this follows
/// the WHATWG tokenizer states for text, tags, attributes, comments and raw-text elements.
/// It keeps no buffer: tag names are packed into an integer, and every state is a few bytes,
/// so any chunking of the input drives it through exactly the same states.
///
/// Not modelled, because they do not move the injection point in real pages: character
/// references, the script "escaped" states (`<!--` inside a script), foreign (SVG/MathML)
/// content where `<title>`/`<style>` are ordinary elements, and `<plaintext>`.
struct HTMLScanner: Sendable {
    enum State: UInt8, Sendable {
        case data, tagOpen, endTagOpen, startTagName, endTagName, inTag
        case markupOpen, markupDash, comment, bogusComment, rawText
    }

    /// The tokenizer state after the last byte.
    private(set) var state: State = .data
    /// Whether the current tag is still a possible injection point (its `<` is held back).
    private var tracking = false
    /// The lowercased tag name so far, one byte per octet, the last byte lowest.
    private var name: UInt64 = 0
    /// Bytes in `name`; 9 means "longer than any name we look for".
    private var nameLength: UInt8 = 0
    /// The raw-text element whose `>` is pending or whose content is being skipped.
    private var rawName: UInt64 = 0
    /// Bytes in `rawName`; 0 when the current tag opens no raw-text element.
    private var rawLength: UInt8 = 0
    /// Progress through `</name` inside raw text: 0 nothing, 1 after `<`, 2 after `</`, 2 + k after k name bytes.
    private var rawMatched: UInt8 = 0
    /// The quote byte of the attribute value being skipped, or 0.
    private var quote: UInt8 = 0
    /// Whether an attribute's `=` was seen and its value has not started yet (only then do quotes open a value).
    private var expectsValue = false
    /// Comment substate: 0 text, 1 `-`, 2 `--`, 3 `--!`, 4 just after `<!--`, 5 `<!---`.
    private var dashes: UInt8 = 0

    /// A byte the scanner must see in its current state; all other bytes can be skipped in bulk.
    ///
    /// Lets the injector run a tight search loop over text, comments and scripts, which make up
    /// nearly all of a page; nil when every byte matters (inside tags and names).
    /// Inside a start or end tag, outside quoted attribute values: where attribute names are.
    var isAmongAttributes: Bool { state == .inTag && quote == 0 }

    var quietStop: UInt8? {
        switch state {
        case .data: Byte.lessThan
        case .rawText: rawMatched == 0 ? Byte.lessThan : nil
        case .inTag: quote == 0 ? nil : quote
        case .comment: dashes == 0 ? Byte.dash : nil
        case .bogusComment: Byte.greaterThan
        default: nil
        }
    }

    /// Advances over one byte and reports what it means for the injection point.
    @inline(__always)
    mutating func step(_ byte: UInt8) -> ScanSignal {
        switch state {
        case .data:
            if byte == Byte.lessThan {
                state = .tagOpen
                tracking = true
                return .open
            }
        case .tagOpen:
            if byte == Byte.slash {
                state = .endTagOpen
            } else if Byte.isLetter(byte) {
                state = .startTagName
                return beginName(byte)
            } else if byte == Byte.lessThan {
                return .reopen
            } else {
                state = byte == Byte.bang ? .markupOpen : byte == Byte.question ? .bogusComment : .data
                return stopTracking()
            }
        case .endTagOpen:
            if Byte.isLetter(byte) {
                state = .endTagName
                return beginName(byte)
            }
            // `</>` is ignored; `</` before anything else opens a bogus comment.
            state = byte == Byte.greaterThan ? .data : .bogusComment
            return stopTracking()
        case .startTagName, .endTagName:
            if Byte.isHTMLSpace(byte) || byte == Byte.slash || byte == Byte.greaterThan {
                return endName(byte)
            }
            appendToName(byte)
            if tracking, !isTargetPrefix() { return stopTracking() }
        case .inTag:
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == Byte.greaterThan {
                enterContent()
            } else if byte == Byte.equals {
                expectsValue = true
            } else if byte == Byte.doubleQuote || byte == Byte.singleQuote {
                if expectsValue { quote = byte }
                expectsValue = false
            } else if !Byte.isHTMLSpace(byte) {
                expectsValue = false
            }
        case .markupOpen:
            state = byte == Byte.dash ? .markupDash : byte == Byte.greaterThan ? .data : .bogusComment
        case .markupDash:
            if byte == Byte.dash {
                state = .comment
                dashes = 4
            } else {
                state = byte == Byte.greaterThan ? .data : .bogusComment
            }
        case .comment:
            stepComment(byte)
        case .bogusComment:
            if byte == Byte.greaterThan { state = .data }
        case .rawText:
            stepRawText(byte)
        }
        return .none
    }

    /// Starts a tag name and decides whether the tag can still be an injection point.
    private mutating func beginName(_ byte: UInt8) -> ScanSignal {
        name = 0
        nameLength = 0
        appendToName(byte)
        if tracking, !isTargetPrefix() { return stopTracking() }
        return .none
    }

    /// Completes a tag name at its delimiter (whitespace, `/` or `>`).
    private mutating func endName(_ byte: UInt8) -> ScanSignal {
        let isStart = state == .startTagName
        rawLength = isStart && Self.isRawTextName(name, length: nameLength) ? nameLength : 0
        rawName = name
        if byte == Byte.greaterThan {
            enterContent()
        } else {
            state = .inTag
            quote = 0
            expectsValue = false
        }
        guard tracking else { return .none }
        tracking = false
        guard nameLength == 4 else { return .drop }
        return (isStart ? name == Self.body : name == Self.head || name == Self.html) ? .place : .drop
    }

    /// Leaves a tag at its `>`: into raw text if it opened a raw-text element, else into text.
    private mutating func enterContent() {
        state = rawLength > 0 ? .rawText : .data
        rawMatched = 0
    }

    private mutating func stopTracking() -> ScanSignal {
        guard tracking else { return .none }
        tracking = false
        return .drop
    }

    private mutating func appendToName(_ byte: UInt8) {
        if nameLength < 8 {
            name = name << 8 | UInt64(ASCII.lower(byte))
            nameLength += 1
        } else {
            nameLength = 9
        }
    }

    /// Whether the name so far can still become `body` (start tag) or `head`/`html` (end tag).
    private func isTargetPrefix() -> Bool {
        guard nameLength <= 4 else { return false }
        let shift = 8 * UInt64(4 - nameLength)
        if state == .startTagName { return Self.body >> shift == name }
        return Self.head >> shift == name || Self.html >> shift == name
    }

    /// Follows the WHATWG comment states, so `<!-->`, `--!>` and `--->` end a comment like in browsers.
    private mutating func stepComment(_ byte: UInt8) {
        switch byte {
        case Byte.dash:
            // text → `-`, `-` → `--`, `--` stays, `--!` → `-`, start → start-dash, start-dash → `--`.
            dashes = dashes == 0 || dashes == 3 ? 1 : dashes == 4 ? 5 : 2
        case Byte.greaterThan:
            if dashes >= 2 { state = .data } else { dashes = 0 }
        case Byte.bang where dashes == 2:
            dashes = 3
        default:
            dashes = 0
        }
    }

    /// Looks for the raw-text element's end tag, `</name` then whitespace, `/` or `>`, in any case.
    private mutating func stepRawText(_ byte: UInt8) {
        switch rawMatched {
        case 0:
            if byte == Byte.lessThan { rawMatched = 1 }
        case 1:
            rawMatched = byte == Byte.slash ? 2 : byte == Byte.lessThan ? 1 : 0
        default:
            let matched = rawMatched - 2
            if matched < rawLength {
                let expected = UInt8(truncatingIfNeeded: rawName >> (8 * UInt64(rawLength - 1 - matched)))
                if ASCII.lower(byte) == expected {
                    rawMatched += 1
                    return
                }
            } else if Byte.isHTMLSpace(byte) || byte == Byte.slash || byte == Byte.greaterThan {
                rawLength = 0
                rawMatched = 0
                if byte == Byte.greaterThan {
                    state = .data
                } else {
                    state = .inTag
                    quote = 0
                    expectsValue = false
                }
                return
            }
            rawMatched = byte == Byte.lessThan ? 1 : 0
        }
    }

    /// `<body`: a body start tag before any `</head>` means the head ended implicitly.
    private static let body: UInt64 = 0x62_6F_64_79
    /// `</head`, the preferred injection point.
    private static let head: UInt64 = 0x68_65_61_64
    /// `</html`, the last point still inside the document.
    private static let html: UInt64 = 0x68_74_6D_6C

    /// Whether a start tag name opens an element whose content is text up to its own end tag:
    /// script, style, textarea, title, xmp, iframe, noembed, noframes, noscript (raw text and RCDATA).
    private static func isRawTextName(_ name: UInt64, length: UInt8) -> Bool {
        switch length {
        case 3: name == 0x78_6D_70
        case 5: name == 0x73_74_79_6C_65 || name == 0x74_69_74_6C_65
        case 6: name == 0x73_63_72_69_70_74 || name == 0x69_66_72_61_6D_65
        case 7: name == 0x6E_6F_65_6D_62_65_64
        case 8: name == 0x74_65_78_74_61_72_65_61 || name == 0x6E_6F_66_72_61_6D_65_73 || name == 0x6E_6F_73_63_72_69_70_74
        default: false
        }
    }
}

/// The ASCII bytes the scanner compares against.
enum Byte {
    static let lessThan: UInt8 = 0x3C  // <
    static let greaterThan: UInt8 = 0x3E  // >
    static let slash: UInt8 = 0x2F  // /
    static let bang: UInt8 = 0x21  // !
    static let question: UInt8 = 0x3F  // ?
    static let dash: UInt8 = 0x2D  // -
    static let equals: UInt8 = 0x3D  // =
    static let doubleQuote: UInt8 = 0x22  // "
    static let singleQuote: UInt8 = 0x27  // '

    /// Whether the byte is an ASCII letter, the only bytes that can start an HTML tag name.
    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26
    }

    /// HTML whitespace: tab, line feed, form feed, carriage return, space.
    @inline(__always)
    static func isHTMLSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte &- 0x09 < 5 && byte != 0x0B)
    }
}
