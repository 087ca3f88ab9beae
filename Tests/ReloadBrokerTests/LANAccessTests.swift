import Testing
import UVLoop

@testable import ReloadBroker

@Suite("Devices on the LAN: same-origin pages, network URLs")
struct LANAccessTests {
    let policy = AccessPolicy(allowedHosts: ["dev.test"], allowedOrigins: [])

    @Test func aPageOfTheRequestsOwnOriginIsSameOrigin() {
        #expect(policy.decide(origin: "http://10.213.7.1:35729", requestHost: "10.213.7.1:35729") == .sameOrigin)
        #expect(policy.decide(origin: "http://192.168.1.20", requestHost: "192.168.1.20:80") == .sameOrigin)
        #expect(policy.decide(origin: "http://192.168.1.20:80", requestHost: "192.168.1.20") == .sameOrigin)
        #expect(policy.decide(origin: "http://[fd00::7]:8080", requestHost: "[FD00::7]:8080") == .sameOrigin)
        #expect(policy.decide(origin: "HTTP://10.213.7.1:35729/", requestHost: "10.213.7.1:35729") == .sameOrigin)
    }

    @Test func anyOtherOriginStaysRefused() {
        // Another port, another address, https (the broker serves http only), a foreign name.
        #expect(policy.decide(origin: "http://10.213.7.1:8000", requestHost: "10.213.7.1:35729") == .refused)
        #expect(policy.decide(origin: "http://10.213.7.2:35729", requestHost: "10.213.7.1:35729") == .refused)
        #expect(policy.decide(origin: "https://10.213.7.1:35729", requestHost: "10.213.7.1:35729") == .refused)
        #expect(policy.decide(origin: "http://evil.example", requestHost: "10.213.7.1:35729") == .refused)
        #expect(policy.decide(origin: "null", requestHost: "10.213.7.1:35729") == .refused)
        #expect(policy.decide(origin: "http://10.213.7.1:35729", requestHost: nil) == .refused)
        #expect(policy.decide(origin: "http://10.213.7.1:35729", requestHost: "10.213.7.1:35729:1") == .refused)
    }

    @Test func aRebindingPageIsNotSameOriginEvenWhenOriginMatchesHost() {
        // Its Host is its own name: refused by the Host check, and never same-origin.
        #expect(!policy.allowsHost("evil.example:35729"))
        #expect(policy.decide(origin: "http://evil.example:35729", requestHost: "evil.example:35729") == .refused)
        // --allow-host '*' turns the Host check off; it does not make every name same-origin.
        let open = AccessPolicy(allowedHosts: ["*"], allowedOrigins: [])
        #expect(open.allowsHost("evil.example:35729"))
        #expect(open.decide(origin: "http://evil.example:35729", requestHost: "evil.example:35729") == .refused)
    }

    @Test func existingDecisionsAreUnchanged() {
        #expect(policy.decide(origin: "http://localhost:3000", requestHost: "10.213.7.1:35729") == .loopback)
        #expect(policy.decide(origin: "https://dev.test:8443", requestHost: "10.213.7.1:35729") == .allowedName)
        #expect(policy.allowsHost("10.213.7.1:35729"))
        #expect(!policy.allowsHost("attacker.example"))
    }

    let addresses = [
        InterfaceAddress(interface: "lo", address: "127.0.0.1", isIPv6: false, isInternal: true),
        InterfaceAddress(interface: "lo", address: "::1", isIPv6: true, isInternal: true),
        InterfaceAddress(interface: "eth0", address: "10.213.7.1", isIPv6: false, isInternal: false),
        InterfaceAddress(interface: "eth0", address: "fe80::1", isIPv6: true, isInternal: false),
        InterfaceAddress(interface: "eth0", address: "fd00::7", isIPv6: true, isInternal: false),
        InterfaceAddress(interface: "wlan0", address: "192.168.1.20", isIPv6: false, isInternal: false),
    ]

    @Test func networkURLsListOneURLPerInterfaceAddress() {
        #expect(
            NetworkURLs.urls(boundHost: "0.0.0.0", port: 35729, addresses: addresses)
                == ["http://10.213.7.1:35729", "http://192.168.1.20:35729"])
        #expect(
            NetworkURLs.urls(boundHost: "::", port: 8080, addresses: addresses)
                == ["http://10.213.7.1:8080", "http://[fd00::7]:8080", "http://192.168.1.20:8080"])
        #expect(NetworkURLs.urls(boundHost: "192.168.1.20", port: 1, addresses: addresses) == ["http://192.168.1.20:1"])
        #expect(NetworkURLs.urls(boundHost: "127.0.0.1", port: 1, addresses: addresses).isEmpty)
        #expect(NetworkURLs.urls(boundHost: "localhost", port: 1, addresses: addresses).isEmpty)
        #expect(NetworkURLs.urls(boundHost: "::1", port: 1, addresses: addresses).isEmpty)
    }

    @Test func theMachineHasALoopbackInterface() {
        #expect(NetworkInterfaces.addresses().contains { $0.isInternal && $0.address == "127.0.0.1" })
    }
}
