@testable import WebSocketCodec

/// A deterministic generator (SplitMix64) so tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let testKey: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

/// A masked client frame, as a browser would send it.
func clientFrame(
    _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true,
    key: (UInt8, UInt8, UInt8, UInt8) = testKey
) -> [UInt8] {
    WebSocketFrameEncoder.frame(opcode: opcode, payload: payload, fin: fin, maskingKey: key)
}

/// Raw header bytes with a masking key, for frames the encoder would not build.
func rawMaskedHeader(byte0: UInt8, length7: UInt8, extended: [UInt8] = []) -> [UInt8] {
    [byte0, 0x80 | length7] + extended + [0x37, 0xFA, 0x21, 0x3D]
}

/// Drains every event the parser can produce now.
func drain(_ parser: inout WebSocketParser) throws(WebSocketProtocolError) -> [WebSocketEvent] {
    var events: [WebSocketEvent] = []
    while let event = try parser.next() { events.append(event) }
    return events
}

/// Feeds the chunks one after another, draining after each.
func events(
    feeding chunks: [[UInt8]], role: WebSocketRole = .server, maxMessageBytes: Int = 16 * 1024
) throws(WebSocketProtocolError) -> [WebSocketEvent] {
    var parser = WebSocketParser(role: role, maxMessageBytes: maxMessageBytes)
    var events: [WebSocketEvent] = []
    for (index, chunk) in chunks.enumerated() {
        if index % 2 == 0 { parser.append(chunk) } else { parser.append(chunk.span) }
        events += try drain(&parser)
    }
    return events
}

/// The protocol error the input provokes, or nil when it parses cleanly.
func failure(
    feeding chunks: [[UInt8]], role: WebSocketRole = .server, maxMessageBytes: Int = 16 * 1024
) -> WebSocketProtocolError? {
    do {
        _ = try events(feeding: chunks, role: role, maxMessageBytes: maxMessageBytes)
        return nil
    } catch {
        return error
    }
}

/// The error `next()` throws now, or nil when it returns normally.
func nextError(_ parser: inout WebSocketParser) -> WebSocketProtocolError? {
    do {
        _ = try parser.next()
        return nil
    } catch {
        return error
    }
}
