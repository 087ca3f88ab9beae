/// Incremental frame parser + message assembler (RFC 6455 §5).
///
/// Feed it whatever bytes arrive with `append`, then call `next()` until it
/// returns nil ("need more bytes"). It hands out complete messages (fragments
/// reassembled, §5.4) and control frames (§5.5), which may interleave with the
/// fragments of a message.
///
/// Payload bytes are streamed: as soon as a frame header is complete, payload
/// bytes are unmasked straight into the message being assembled, so the input
/// buffer never holds more than one partial frame header plus whatever the
/// caller appended since the last `next()`. When every buffered byte has been
/// consumed, and after each message is handed out, the storage is released:
/// an idle parser holds no heap memory.
///
/// Errors are peer protocol violations, each carrying the close code to answer
/// with (§7.4.1). After an error the parser stays failed: `next()` rethrows the
/// same error and `append` drops its input.
public struct WebSocketParser: Sendable {
    private let maxMessageBytes: Int
    private let role: WebSocketRole
    /// The kind of data message being assembled, if any (§5.4).
    private var messageKind: MessageKind = .none
    /// Whether the text message being assembled is valid UTF-8 so far (§8.1).
    private var utf8 = UTF8Validator()
    /// Bytes appended and not yet consumed start at `inputIndex`.
    private var input: [UInt8] = []
    private var inputIndex = 0
    /// The frame whose payload is being read, once its header is complete.
    private var frame: Frame?
    /// The unmasked payload of the data message being assembled.
    private var message: [UInt8] = []
    /// The unmasked payload of the control frame being read (≤ 125 bytes).
    private var control: [UInt8] = []
    private var failure: WebSocketProtocolError?

    private enum MessageKind: UInt8, Sendable { case none, text, binary }

    /// A frame whose header has been read (§5.2). Fields ordered to pack into 16 bytes.
    private struct Frame: Sendable {
        /// Payload bytes still to read.
        var remaining: Int
        /// The masking key as 4 bytes, first byte in the high bits (§5.3); 0 when unmasked.
        var maskingKey: UInt32
        var opcode: WebSocketOpcode
        var fin: Bool
        /// How many payload bytes have been unmasked so far, modulo 4 (§5.3: `j = i MOD 4`).
        var maskOffset: UInt8
    }

    /// - Parameters:
    ///   - role: which end we are; decides whether peer frames must be masked (§5.1).
    ///   - maxMessageBytes: the largest message (all fragments together) accepted;
    ///     a frame header announcing more fails with 1009 (§7.4.1) before any of
    ///     its payload is buffered. Control frames are bounded by 125 bytes anyway.
    public init(role: WebSocketRole = .server, maxMessageBytes: Int = 16 * 1024) {
        precondition(maxMessageBytes >= 0, "maxMessageBytes must not be negative")
        self.role = role
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes held by the parser: unconsumed input plus the partial message and
    /// control payload. Zero when idle.
    public var bufferedByteCount: Int {
        input.count - inputIndex + message.count + control.count
    }

    /// Heap capacity held by the parser's buffers (for tests of idle memory).
    var storageCapacity: Int { input.capacity + message.capacity + control.capacity }

    /// Queues bytes received from the peer. Dropped once the parser has failed.
    public mutating func append(_ bytes: Span<UInt8>) {
        guard failure == nil, !bytes.isEmpty else { return }
        // Copies straight into new capacity (about twice as fast as element-wise `append`).
        input.append(addingCapacity: bytes.count) { output in
            for index in bytes.indices { output.append(bytes[index]) }
        }
    }

    /// Queues bytes received from the peer. Dropped once the parser has failed.
    public mutating func append(_ bytes: [UInt8]) {
        guard failure == nil, !bytes.isEmpty else { return }
        if input.isEmpty {
            input = bytes  // shares the storage; no copy
        } else {
            input.append(contentsOf: bytes)
        }
    }

    /// Next event, nil when more bytes are needed. After an error the parser stays failed.
    public mutating func next() throws(WebSocketProtocolError) -> WebSocketEvent? {
        if let failure { throw failure }
        let event: WebSocketEvent?
        do {
            event = try step()
        } catch {
            fail(error)
            throw error
        }
        if inputIndex == input.count {
            input = []  // release the storage (idle connections hold nothing)
            inputIndex = 0
        } else if event == nil, inputIndex > 0 {
            input.removeSubrange(0..<inputIndex)  // keep only a partial header
            inputIndex = 0
        }
        return event
    }

    private mutating func fail(_ error: WebSocketProtocolError) {
        failure = error
        input = []
        inputIndex = 0
        message = []
        control = []
        frame = nil
        messageKind = .none
    }

    /// Reads headers and payload until an event is complete or the input runs out.
    private mutating func step() throws(WebSocketProtocolError) -> WebSocketEvent? {
        while true {
            var current: Frame
            if let frame {
                current = frame
            } else {
                guard let (header, headerLength) = try parseHeader() else { return nil }
                inputIndex += headerLength
                current = header
                if current.opcode == .text { messageKind = .text }
                if current.opcode == .binary { messageKind = .binary }
            }

            let take = min(current.remaining, input.count - inputIndex)
            if take > 0 {
                let chunk = inputIndex..<(inputIndex + take)
                inputIndex += take
                current.remaining -= take
                if current.opcode.isControl {
                    Self.consumePayload(input[chunk], into: &control, frame: &current)
                } else {
                    let start = message.count
                    Self.consumePayload(input[chunk], into: &message, frame: &current)
                    if messageKind == .text {
                        var validator = utf8
                        let valid = validator.feed(message.span.extracting(start..<message.count))
                        utf8 = validator
                        guard valid else {
                            throw WebSocketProtocolError(
                                closeCode: .invalidFramePayloadData, reason: "invalid UTF-8 in text message")
                        }
                    }
                }
            }
            guard current.remaining == 0 else {
                frame = current
                return nil
            }
            frame = nil
            if let event = try finish(current) { return event }
        }
    }

    /// Appends `chunk` to `destination` and unmasks it there, in place (§5.3).
    private static func consumePayload(_ chunk: ArraySlice<UInt8>, into destination: inout [UInt8], frame: inout Frame) {
        let start = destination.count
        destination.append(contentsOf: chunk)
        if frame.maskingKey != 0 {
            unmask(&destination, from: start, key: frame.maskingKey, offset: Int(frame.maskOffset))
            frame.maskOffset = UInt8(truncatingIfNeeded: (Int(frame.maskOffset) + chunk.count) & 3)
        }
    }

    /// XORs `bytes[from...]` with the masking key, starting at key byte `offset` (§5.3:
    /// `transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)`).
    /// Four bytes per step after aligning to the key, through a bounds-checked span.
    static func unmask(_ bytes: inout [UInt8], from start: Int, key: UInt32, offset: Int) {
        // Rotate the key so that key byte `offset` comes first.
        let shift = UInt32(offset & 3) * 8
        let rotated = shift == 0 ? key : (key << shift) | (key >> (32 - shift))
        let k0 = UInt8(truncatingIfNeeded: rotated >> 24)
        let k1 = UInt8(truncatingIfNeeded: rotated >> 16)
        let k2 = UInt8(truncatingIfNeeded: rotated >> 8)
        let k3 = UInt8(truncatingIfNeeded: rotated)
        var span = bytes.mutableSpan
        var index = start
        let end = span.count
        while end - index >= 4 {
            span[index] ^= k0
            span[index + 1] ^= k1
            span[index + 2] ^= k2
            span[index + 3] ^= k3
            index += 4
        }
        if index < end { span[index] ^= k0 }
        if index + 1 < end { span[index + 1] ^= k1 }
        if index + 2 < end { span[index + 2] ^= k2 }
    }

    /// Reads and checks the frame header at `inputIndex` (§5.2). Each rule is
    /// checked as soon as the bytes it needs are there, so a bad or oversized
    /// frame fails before its payload is buffered. Returns nil while incomplete.
    private func parseHeader() throws(WebSocketProtocolError) -> (Frame, Int)? {
        let available = input.count - inputIndex
        guard available >= 2 else { return nil }
        let byte0 = input[inputIndex]
        let byte1 = input[inputIndex + 1]

        // §5.2: RSV1-3 MUST be 0 unless an extension defines them; we negotiate none.
        guard byte0 & 0x70 == 0 else { throw .protocolError("reserved bits set") }
        // §5.2: reserved opcodes fail the connection.
        guard let opcode = WebSocketOpcode(rawValue: byte0 & 0x0F) else {
            throw .protocolError("reserved opcode")
        }
        let fin = byte0 & 0x80 != 0
        let masked = byte1 & 0x80 != 0
        // §5.1: clients MUST mask, servers MUST NOT.
        switch role {
        case .server where !masked: throw .protocolError("unmasked client frame")
        case .client where masked: throw .protocolError("masked server frame")
        default: break
        }
        let shortLength = byte1 & 0x7F
        if opcode.isControl {
            // §5.5: control frames are never fragmented and carry ≤ 125 bytes.
            guard fin else { throw .protocolError("fragmented control frame") }
            guard shortLength <= 125 else { throw .protocolError("control frame too long") }
        } else if opcode == .continuation {
            // §5.4: a continuation only follows an unfinished text/binary frame.
            guard messageKind != .none else { throw .protocolError("continuation without a message") }
        } else {
            // §5.4: fragments of one message are not interleaved with another message.
            guard messageKind == .none else { throw .protocolError("new message inside a fragmented one") }
        }

        var headerLength = 2
        var length = UInt64(shortLength)
        if shortLength == 126 {
            // §5.2: 16-bit extended payload length.
            headerLength = 4
            guard available >= headerLength else { return nil }
            length = UInt64(input[inputIndex + 2]) << 8 | UInt64(input[inputIndex + 3])
        } else if shortLength == 127 {
            // §5.2: 64-bit extended payload length; its most significant bit MUST be 0.
            headerLength = 10
            guard available >= headerLength else { return nil }
            length = 0
            for index in (inputIndex + 2)..<(inputIndex + 10) {
                length = length << 8 | UInt64(input[index])
            }
            guard length >> 63 == 0 else { throw .protocolError("payload length has its top bit set") }
        }
        // Non-minimal length encodings (§5.2 "the minimal number of bytes MUST be
        // used") are accepted: they are harmless and refusing them gains nothing.
        if !opcode.isControl, length > UInt64(maxMessageBytes - message.count) {
            throw WebSocketProtocolError(closeCode: .messageTooBig, reason: "message too big")
        }

        var key: UInt32 = 0
        if masked {
            guard available >= headerLength + 4 else { return nil }
            for index in (inputIndex + headerLength)..<(inputIndex + headerLength + 4) {
                key = key << 8 | UInt32(input[index])
            }
            headerLength += 4
        }
        // A masked frame whose key is all zero is unmasked by a no-op, so key 0 doubles as "unmasked".
        let frame = Frame(remaining: Int(length), maskingKey: key, opcode: opcode, fin: fin, maskOffset: 0)
        return (frame, headerLength)
    }

    /// Turns a frame whose payload is complete into an event, or nil for a
    /// non-final fragment.
    private mutating func finish(_ frame: Frame) throws(WebSocketProtocolError) -> WebSocketEvent? {
        switch frame.opcode {
        case .ping, .pong, .close:
            let payload = control
            control = []
            switch frame.opcode {
            case .ping: return .ping(payload)
            case .pong: return .pong(payload)
            default: return try Self.closeEvent(payload)
            }
        case .text, .binary, .continuation:
            guard frame.fin else { return nil }
            let kind = messageKind
            let payload = message
            message = []
            messageKind = .none
            if kind == .binary { return .binary(payload) }
            // §8.1: the whole message must be valid UTF-8, so no sequence may be left open.
            guard utf8.isComplete else {
                throw WebSocketProtocolError(
                    closeCode: .invalidFramePayloadData, reason: "truncated UTF-8 in text message")
            }
            utf8 = UTF8Validator()
            return .text(String(decoding: payload, as: UTF8.self))
        }
    }

    /// §5.5.1: an empty body, or a 2-byte big-endian status code followed by a UTF-8 reason.
    private static func closeEvent(_ payload: [UInt8]) throws(WebSocketProtocolError) -> WebSocketEvent {
        if payload.isEmpty { return .close(code: nil, reason: "") }
        guard payload.count >= 2 else { throw .protocolError("close frame with a 1-byte payload") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        // §7.4: codes reserved or not to be sent on the wire are a protocol error.
        guard CloseCode.isValidOnWire(code) else { throw .protocolError("invalid close code") }
        let reason = payload[2...]
        var validator = UTF8Validator()
        // §5.5.1 / §8.1: the reason is UTF-8; invalid data is 1007.
        guard validator.feed(reason.span), validator.isComplete else {
            throw WebSocketProtocolError(closeCode: .invalidFramePayloadData, reason: "invalid UTF-8 in close reason")
        }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }
}
