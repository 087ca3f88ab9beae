import FuzzCommon
import WebSocketCodec

// WebSocket frame parser, server role (clients must mask), with its UTF-8 and close-code checks.
// Input: byte 0 seeds the split points, the rest is the stream of client frames.
// Invariants:
// 1. Split invariance: the same events and the same error however the stream is cut.
// 2. Differential: a lenient reference decoder (below, no validation) decodes the same frames; each
//    event the parser accepted matches it, every text event's raw payload is valid UTF-8
//    (String(validating:)), every close code is valid on the wire and its reason valid UTF-8.
// 3. Encoder round trip: messages built from the input, encoded (masked, sometimes fragmented,
//    with control frames in between) parse back to the same events, in both roles.

let maxMessageBytes = 1024

struct Outcome: Equatable {
    var events: [WebSocketEvent] = []
    var error: WebSocketProtocolError?
}

func parse(_ pieces: [[UInt8]], role: WebSocketRole = .server) -> Outcome {
    var parser = WebSocketParser(role: role, maxMessageBytes: maxMessageBytes)
    var outcome = Outcome()
    for piece in pieces {
        if piece.count % 2 == 0 { parser.append(piece) } else { parser.append(piece.span) }
        do {
            while let event = try parser.next() { outcome.events.append(event) }
        } catch {
            outcome.error = error
            if !CloseCode.isValidOnWire(error.closeCode.rawValue) { violated("error close code \(error.closeCode)") }
            if error.reason.utf8.count > 123 { violated("error reason too long for a close frame") }
            return outcome
        }
    }
    // Idle means empty: nothing buffered once every byte is consumed and no frame is open.
    return outcome
}

/// What the lenient reference decoder sees: raw (unmasked, reassembled) payloads.
enum RawEvent {
    case text([UInt8])
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case close([UInt8])
}

/// Decodes frames without validating anything but what it needs to find frame boundaries.
func referenceDecode(_ bytes: [UInt8]) -> [RawEvent] {
    var events: [RawEvent] = []
    var index = 0
    var message: [UInt8] = []
    var messageIsText = false
    while bytes.count - index >= 2 {
        let b0 = bytes[index]
        let b1 = bytes[index + 1]
        var cursor = index + 2
        var length = UInt64(b1 & 0x7F)
        if length == 126 {
            guard bytes.count - cursor >= 2 else { break }
            length = UInt64(bytes[cursor]) << 8 | UInt64(bytes[cursor + 1])
            cursor += 2
        } else if length == 127 {
            guard bytes.count - cursor >= 8 else { break }
            length = 0
            for offset in 0..<8 { length = length << 8 | UInt64(bytes[cursor + offset]) }
            cursor += 8
        }
        var key: [UInt8] = [0, 0, 0, 0]
        if b1 & 0x80 != 0 {
            guard bytes.count - cursor >= 4 else { break }
            key = Array(bytes[cursor..<cursor + 4])
            cursor += 4
        }
        guard length <= UInt64(bytes.count - cursor) else { break }
        var payload = Array(bytes[cursor..<cursor + Int(length)])
        for offset in payload.indices { payload[offset] ^= key[offset % 4] }
        index = cursor + Int(length)
        let fin = b0 & 0x80 != 0
        switch b0 & 0x0F {
        case 0x1, 0x2, 0x0:
            if b0 & 0x0F != 0 {
                message = []
                messageIsText = b0 & 0x0F == 0x1
            }
            message += payload
            if fin { events.append(messageIsText ? .text(message) : .binary(message)) }
        case 0x8: events.append(.close(payload))
        case 0x9: events.append(.ping(payload))
        case 0xA: events.append(.pong(payload))
        default: return events  // the parser refuses reserved opcodes; nothing after matters
        }
    }
    return events
}

func checkAgainstReference(_ outcome: Outcome, _ stream: [UInt8]) {
    let reference = referenceDecode(stream)
    if reference.count < outcome.events.count { violated("parser produced events the reference did not find") }
    for (event, raw) in zip(outcome.events, reference) {
        switch (event, raw) {
        case (.text(let text), .text(let bytes)):
            guard let valid = String(validating: bytes, as: UTF8.self) else { violated("text event with invalid UTF-8") }
            if valid != text { violated("text event differs from its payload") }
        case (.binary(let payload), .binary(let bytes)):
            if payload != bytes { violated("binary payload differs") }
        case (.ping(let payload), .ping(let bytes)), (.pong(let payload), .pong(let bytes)):
            if payload != bytes || payload.count > 125 { violated("control payload differs or too long") }
        case (.close(let code, let reason), .close(let bytes)):
            if let code {
                if !CloseCode.isValidOnWire(code) { violated("close code \(code) not valid on the wire") }
                if bytes.count < 2 || UInt16(bytes[0]) << 8 | UInt16(bytes[1]) != code { violated("close code differs") }
                guard let text = String(validating: bytes[2...], as: UTF8.self), text == reason else {
                    violated("close reason invalid or different")
                }
            } else if !bytes.isEmpty || !reason.isEmpty {
                violated("close without code but with a payload")
            }
        default:
            violated("event kind differs from the reference: \(event)")
        }
    }
}

/// Builds a frame sequence from the input and checks it parses back exactly.
func roundTrip(_ input: [UInt8]) {
    guard input.count >= 6 else { return }
    let key = (input[1], input[2], input[3], input[4])
    let flags = input[5]
    let data = Array(input[6...].prefix(maxMessageBytes))
    // Decoding replaces invalid bytes with U+FFFD (3 bytes), so cut at a scalar within the limit.
    var validText = ""
    var validTextCount = 0
    for scalar in String(decoding: data, as: UTF8.self).unicodeScalars {
        let width = UTF8.width(scalar)
        guard validTextCount + width <= maxMessageBytes else { break }
        validText.unicodeScalars.append(scalar)
        validTextCount += width
    }
    let validTextBytes = Array(validText.utf8)
    let control = Array(data.prefix(125))
    let code = UInt16(data.first ?? 0) << 8 | UInt16(data.dropFirst().first ?? 0)
    let closeCode = CloseCode.isValidOnWire(code) ? CloseCode(rawValue: code) : .normalClosure

    for role in [WebSocketRole.server, .client] {
        let mask = role == .server ? key : nil
        var wire: [UInt8] = []
        var expected: [WebSocketEvent] = []
        if flags & 1 != 0, validTextBytes.count >= 2 {
            // Fragmented text with a ping between the fragments; the cut may fall inside a scalar.
            let cut = Int(flags >> 1) % validTextBytes.count
            wire += WebSocketFrameEncoder.frame(opcode: .text, payload: Array(validTextBytes[..<cut]), fin: false, maskingKey: mask)
            wire += WebSocketFrameEncoder.ping(control, maskingKey: mask)
            wire += WebSocketFrameEncoder.frame(opcode: .continuation, payload: Array(validTextBytes[cut...]), maskingKey: mask)
            expected += [.ping(control), .text(validText)]
        } else {
            wire += WebSocketFrameEncoder.text(validText, maskingKey: mask)
            expected.append(.text(validText))
        }
        wire += WebSocketFrameEncoder.binary(data, maskingKey: mask)
        expected.append(.binary(data))
        wire += WebSocketFrameEncoder.frame(opcode: .pong, payload: control, maskingKey: mask)
        expected.append(.pong(control))
        let reason = String(decoding: data.dropFirst(2), as: UTF8.self)
        let closeFrame = WebSocketFrameEncoder.close(code: closeCode, reason: reason, maskingKey: mask)
        wire += closeFrame
        let closePayloadCount = closeFrame.count - 2 - (mask == nil ? 0 : 4)
        let reasonBytes = Array(reason.utf8.prefix(closePayloadCount - 2))
        if closePayloadCount > 125 { violated("close frame payload over 125 bytes") }
        expected.append(.close(code: closeCode.rawValue, reason: String(decoding: reasonBytes, as: UTF8.self)))

        let outcome = parse(pieces(of: wire, seed: input[0]), role: role)
        if outcome.error != nil || outcome.events != expected {
            violated("encoder round trip failed (\(role)): \(String(describing: outcome.error)) \(outcome.events) vs \(expected)")
        }
    }
}

func testOneInput(_ input: [UInt8]) {
    guard !input.isEmpty else { return }
    let stream = Array(input[1...])
    let whole = parse([stream])
    let split = parse(pieces(of: stream, seed: input[0]))
    if whole != split { violated("split changed the outcome:\nwhole \(whole)\nsplit \(split)") }
    checkAgainstReference(whole, stream)
    roundTrip(input)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(fuzzInput(data, size))
    return 0
}

@_cdecl("FuzzWebSocketFrames_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzerTestOneInput)
}
