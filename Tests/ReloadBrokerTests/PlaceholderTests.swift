import Testing
@testable import ReloadBroker

@Test func placeholderReloadBroker() { #expect(Bool(true)) }
