import Testing

@Test func placeholderBrowser() { #expect(Bool(true)) }
