import Testing

@testable import ReloadBroker

/// The access policy on its own, without a broker: the Host check, the Origin check and the
/// parsing of authorities they share. (Same-origin from the LAN: `LANAccessTests`.)
@Suite("AccessPolicy: the Host and Origin checks")
struct AccessPolicyTests {
    let defaults = AccessPolicy(allowedHosts: [], allowedOrigins: [])
    let configured = AccessPolicy(allowedHosts: ["MyApp.test", ".dev.test"], allowedOrigins: ["https://App.test:8443/"])

    // MARK: Host

    @Test func aRequestWithoutHostPasses() {
        #expect(defaults.allowsHost(nil))
    }

    @Test(arguments: [
        "localhost", "localhost:35729", "LOCALHOST", "LocalHost:80", "app.localhost", "a.b.localhost:8080", "localhost.",
        "127.0.0.1", "127.0.0.1:35729", "192.168.1.20", "10.0.0.5:80", "0.0.0.0",
        "[::1]", "[::1]:35729", "[fe80::1]", "[FD00::7]:8080", "[::ffff:127.0.0.1]",
    ])
    func loopbackNamesAndIPLiteralsPassTheHostCheck(host: String) {
        #expect(defaults.allowsHost(host))
    }

    @Test(arguments: [
        "evil.example", "evil.example:35729", "127.0.0.1.nip.io", "localhost.evil.example", "localhostx", "mylocalhost",
        // Not IPv4 literals: out of range, too few parts, hex, a name made of digits.
        "256.0.0.1", "1.2.3", "127.1", "0x7f.0.0.1", "1.2.3.4.5",
    ])
    func otherNamesFailTheHostCheck(host: String) {
        #expect(!defaults.allowsHost(host))
    }

    @Test(arguments: [
        "", ":80", "localhost:", "localhost:abc", "localhost:80:80", "local host", "localhost\t",
        "[::1", "[]", "[::1]x", "[evil.example]", "[::1]:8o",
        "1\u{301}.0.0.1", "١٢٧.0.0.1", "é.localhost", "127.0.0.1\u{0}", "xn--ls8h.localhost\u{7F}",
    ])
    func malformedAndNonASCIIHostsFailTheHostCheck(host: String) {
        #expect(!defaults.allowsHost(host))
        #expect(AccessPolicy.hostName(fromAuthority: host) == nil)
    }

    @Test func configuredNamesAndSuffixesPassCaseInsensitively() {
        #expect(configured.allowsHost("myapp.test"))
        #expect(configured.allowsHost("MYAPP.TEST:3000"))
        #expect(configured.allowsHost("dev.test"))
        #expect(configured.allowsHost("a.dev.test"))
        #expect(configured.allowsHost("a.b.Dev.Test:8080"))
        #expect(!configured.allowsHost("xdev.test"))
        #expect(!configured.allowsHost("other.test"))
        #expect(!configured.allowsHost("myapp.test.evil.example"))
        // The defaults still apply beside the configured names.
        #expect(configured.allowsHost("localhost:35729"))
        #expect(configured.allowsHost("[::1]"))
    }

    @Test func aStarAllowsEveryHost() {
        let open = AccessPolicy(allowedHosts: ["*"], allowedOrigins: [])
        #expect(open.allowsHost("evil.example"))
        #expect(open.allowsHost("anything:1"))
    }

    // MARK: Origin

    @Test(arguments: [
        "http://localhost:3000", "https://localhost", "http://LOCALHOST:3000", "http://app.localhost", "https://a.b.localhost:8443",
        "https://127.0.0.1:8443", "http://127.5.6.7", "http://[::1]:5173", "http://[::1]", "http://localhost:3000/",
    ])
    func loopbackOriginsOnAnyPortAreLoopback(origin: String) {
        #expect(defaults.decide(origin: origin, requestHost: nil) == .loopback)
        #expect(defaults.allowsOrigin(origin))
    }

    @Test(arguments: [
        "https://evil.example", "null", "http://127.0.0.1.evil.example", "file://", "ws://localhost:3000", "ftp://localhost",
        "chrome-extension://abcdef", "localhost:3000", "http://", "http://[::1", "http://localhost:port", "",
        // An IP literal that is not loopback is not a loopback origin (only same-origin can make it pass).
        "http://192.168.1.20:35729", "http://[fe80::1]:5173",
    ])
    func otherOriginsAreRefused(origin: String) {
        #expect(defaults.decide(origin: origin, requestHost: nil) == .refused)
        #expect(!defaults.allowsOrigin(origin))
    }

    @Test func configuredOriginsMatchNormalized() {
        // Configured as "https://App.test:8443/": case and a trailing slash do not matter.
        #expect(configured.decide(origin: "https://app.test:8443", requestHost: nil) == .configured)
        #expect(configured.decide(origin: "HTTPS://APP.TEST:8443/", requestHost: nil) == .configured)
        // Another port or scheme of that origin is not it.
        #expect(configured.decide(origin: "https://app.test:9999", requestHost: nil) == .refused)
        #expect(configured.decide(origin: "http://app.test:8443", requestHost: nil) == .refused)
    }

    @Test func originsOfAllowedNamesPassOnAnyPortAndScheme() {
        #expect(configured.decide(origin: "https://myapp.test:8443", requestHost: nil) == .allowedName)
        #expect(configured.decide(origin: "http://MyApp.Test", requestHost: nil) == .allowedName)
        #expect(configured.decide(origin: "http://x.dev.test:3000", requestHost: nil) == .allowedName)
        #expect(configured.decide(origin: "http://xdev.test:3000", requestHost: nil) == .refused)
    }

    @Test func aStarAllowsEveryOriginButOnlyThen() {
        let open = AccessPolicy(allowedHosts: [], allowedOrigins: ["*"])
        #expect(open.decide(origin: "https://evil.example", requestHost: nil) == .anyOrigin)
        #expect(open.decide(origin: "null", requestHost: nil) == .anyOrigin)
        // A star among the hosts does not open the Origin check.
        let anyHost = AccessPolicy(allowedHosts: ["*"], allowedOrigins: [])
        #expect(anyHost.decide(origin: "https://evil.example", requestHost: "evil.example") == .refused)
    }

    @Test func theRequestsOwnOriginIsSameOriginForIPv6AndLoopbackNamesToo() {
        // A loopback name is already loopback; the own-origin rule matters for LAN addresses.
        #expect(defaults.decide(origin: "http://[fe80::1]:35729", requestHost: "[FE80::1]:35729") == .sameOrigin)
        #expect(defaults.decide(origin: "http://[fe80::1]", requestHost: "[fe80::1]:80") == .sameOrigin)
        #expect(defaults.decide(origin: "http://[fe80::1]:8080", requestHost: "[fe80::1]:35729") == .refused)
        #expect(defaults.decide(origin: "https://[fe80::1]:35729", requestHost: "[fe80::1]:35729") == .refused)
        #expect(defaults.decide(origin: "http://[fe80::1]:35729", requestHost: "[fe80::2]:35729") == .refused)
        // An allowed name is allowed anyway; an unlisted one never becomes same-origin.
        #expect(configured.decide(origin: "http://myapp.test:35729", requestHost: "myapp.test:35729") == .allowedName)
        #expect(defaults.decide(origin: "http://myapp.test:35729", requestHost: "myapp.test:35729") == .refused)
    }

    @Test func browserExtensionOriginsAreRecognized() {
        #expect(AccessPolicy.isBrowserExtensionOrigin("chrome-extension://jnihajbhpnppcggbcgedagnkighmdlei"))
        #expect(AccessPolicy.isBrowserExtensionOrigin("MOZ-EXTENSION://0b7e4c1e-2a3f"))
        #expect(AccessPolicy.isBrowserExtensionOrigin("safari-web-extension://ABCDEF"))
        #expect(!AccessPolicy.isBrowserExtensionOrigin("https://chrome-extension.example"))
        #expect(!AccessPolicy.isBrowserExtensionOrigin("null"))
        #expect(!AccessPolicy.isBrowserExtensionOrigin("chrome-extension://" + String(repeating: "a", count: 300)))
    }

    // MARK: Authorities

    @Test func hostNamesAreLowercasedWithoutPortOrTrailingDot() {
        #expect(AccessPolicy.hostName(fromAuthority: "LocalHost:80") == "localhost")
        #expect(AccessPolicy.hostName(fromAuthority: "example.com.") == "example.com")
        #expect(AccessPolicy.hostName(fromAuthority: "[FE80::1]:8080") == "[fe80::1]")
        #expect(AccessPolicy.hostName(fromAuthority: "[::ffff:127.0.0.1]") == "[::ffff:127.0.0.1]")
        #expect(AccessPolicy.hostName(fromAuthority: "under_score.localhost") == "under_score.localhost")
    }

    @Test func portsDefaultTo80AndMustBeInRange() {
        #expect(AccessPolicy.port(ofAuthority: "localhost") == 80)
        #expect(AccessPolicy.port(ofAuthority: "localhost:8080") == 8080)
        #expect(AccessPolicy.port(ofAuthority: "[::1]") == 80)
        #expect(AccessPolicy.port(ofAuthority: "[::1]:5173") == 5173)
        #expect(AccessPolicy.port(ofAuthority: "localhost:0") == 0)
        #expect(AccessPolicy.port(ofAuthority: "localhost:65535") == 65535)
        #expect(AccessPolicy.port(ofAuthority: "localhost:65536") == nil)
        #expect(AccessPolicy.port(ofAuthority: "localhost:") == nil)
        #expect(AccessPolicy.port(ofAuthority: "localhost:http") == nil)
        #expect(AccessPolicy.port(ofAuthority: "[::1]5173") == nil)
        #expect(AccessPolicy.port(ofAuthority: "[::1") == nil)
    }

    @Test func sameOriginComparesHostAndPortWithDefault80() {
        #expect(AccessPolicy.isSameOrigin(authority: "192.168.1.20", host: "192.168.1.20:80"))
        #expect(AccessPolicy.isSameOrigin(authority: "Box.Local:35729", host: "box.local:35729"))
        #expect(!AccessPolicy.isSameOrigin(authority: "192.168.1.20:81", host: "192.168.1.20"))
        #expect(!AccessPolicy.isSameOrigin(authority: "192.168.1.20", host: "192.168.1.21"))
        #expect(!AccessPolicy.isSameOrigin(authority: "é", host: "é"))
    }
}
