import Testing
@testable import WebSocketCodec

@Test func placeholderWebSocketCodec() { #expect(Bool(true)) }
