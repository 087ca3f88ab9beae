import Testing
@testable import HTTPCodec

@Test func placeholderHTTPCodec() { #expect(Bool(true)) }
