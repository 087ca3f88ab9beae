import Testing
@testable import HTMLInjection

@Test func placeholderHTMLInjection() { #expect(Bool(true)) }
