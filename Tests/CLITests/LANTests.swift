import Foundation
import Testing
import TestSupport

/// A second host on the LAN, made from a network namespace and a veth pair (10.213.7.0/24, torn
/// down at the end): the broker bound to 0.0.0.0 names the veth address, and a page from that
/// address may open its socket, while foreign origins and rebinding Hosts stay refused.
@Suite(
    "reload-broker serve --host 0.0.0.0 seen from another host", .serialized,
    .enabled(if: LANNamespace.available, "needs root and `ip netns` (iproute2) to make a network namespace; skipped"))
struct LANTests {
    @Test func aPageFromTheLANAddressOpensItsSocketAndForeignOnesAreRefused() throws {
        let lan = try LANNamespace()
        defer { lan.tearDown() }
        let child = try ChildProcess(["serve", "--host", "0.0.0.0", "--port", "0"])
        defer {
            child.signal(SIGTERM)
            _ = try? child.waitForExit(timeout: 10)
        }
        let output = try child.waitForOutput(containing: "reload-broker: watching")
        let range = try #require(output.firstRange(of: "http://127.0.0.1:"))
        let port = try #require(Int(output[range.upperBound...].prefix { $0.isNumber }))
        #expect(output.contains("reload-broker: on your network: http://\(LANNamespace.hostAddress):\(port)/"))

        let results = try lan.runClient(port: port)
        #expect(results["page"] == "200 client")
        #expect(results["same-origin-socket"] == "101")
        #expect(results["evil-origin-socket"] == "403")
        #expect(results["other-port-socket"] == "403")
        #expect(results["rebinding-host-page"] == "403")
        #expect(results["rebinding-host-socket"] == "403")
        #expect(results["same-origin-trigger"] == "200")
        #expect(results["evil-origin-trigger"] == "403")
    }

    /// The same through `proxy`: the app's page (client injected) and the broker's socket from the
    /// LAN address, while the app itself stays on loopback.
    @Test func theProxysPagesWorkFromTheLANToo() throws {
        let lan = try LANNamespace()
        defer { lan.tearDown() }
        let app = try PythonApp(port: try freePort())
        let (broker, port) = try startProxy(["--host", "0.0.0.0", "--upstream", "http://127.0.0.1:\(app.port)"])
        defer {
            broker.signal(SIGTERM)
            _ = try? broker.waitForExit(timeout: 10)
        }
        #expect(broker.stdout.contains("reload-broker: on your network: http://\(LANNamespace.hostAddress):\(port)/"))
        let results = try lan.runClient(port: port)
        #expect(results["page"] == "200 client")
        #expect(results["same-origin-socket"] == "101")
        #expect(results["evil-origin-socket"] == "403")
        #expect(results["rebinding-host-page"] == "403")
        #expect(results["same-origin-trigger"] == "200")
        #expect(results["evil-origin-trigger"] == "403")
    }
}

private let lanClient = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("upstreams/lan_client.py").path

/// The namespace `rb-dev-lan` with `rbdev1` (10.213.7.2) inside, its peer `rbdev0` (10.213.7.1)
/// on the host. Traffic between them never leaves the machine.
struct LANNamespace {
    static let name = "rb-dev-lan"
    static let hostAddress = "10.213.7.1"
    static let namespaceAddress = "10.213.7.2"
    static let hostSide = "rbdev0"
    static let namespaceSide = "rbdev1"
    static let ip =
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? "/usr/sbin/ip"

    /// Root, iproute2 and permission to make namespaces (not in every container).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ip) else { return false }
        let probe = "rb-dev-probe"
        _ = run(["netns", "delete", probe])
        guard run(["netns", "add", probe]) else { return false }
        return run(["netns", "delete", probe])
    }()

    init() throws {
        Self.removeLeftovers()
        let steps: [[String]] = [
            ["netns", "add", Self.name],
            ["link", "add", Self.hostSide, "type", "veth", "peer", "name", Self.namespaceSide],
            ["link", "set", Self.namespaceSide, "netns", Self.name],
            ["addr", "add", Self.hostAddress + "/24", "dev", Self.hostSide],
            ["link", "set", Self.hostSide, "up"],
            ["-n", Self.name, "addr", "add", Self.namespaceAddress + "/24", "dev", Self.namespaceSide],
            ["-n", Self.name, "link", "set", Self.namespaceSide, "up"],
            ["-n", Self.name, "link", "set", "lo", "up"],
        ]
        for step in steps where !Self.run(step) {
            Self.removeLeftovers()
            throw TestClientError(description: "cannot set up the namespace: ip \(step.joined(separator: " "))")
        }
    }

    func tearDown() { Self.removeLeftovers() }

    /// Runs upstreams/lan_client.py in the namespace against the host's address: its checks by name.
    func runClient(port: Int) throws -> [String: String] {
        let client = try ChildProcess(
            ["netns", "exec", Self.name, "python3", lanClient, Self.hostAddress, String(port)], executable: Self.ip)
        let status = try client.waitForExit(timeout: 30)
        guard status == 0 else { throw TestClientError(description: "the LAN client failed (\(status)): \(client.stderr)") }
        return Dictionary(
            client.stdout.split(separator: "\n").map { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }, uniquingKeysWith: { $1 })
    }

    /// Deleting the namespace deletes the veth pair with it; the host side goes too in case the
    /// namespace never got it.
    private static func removeLeftovers() {
        _ = run(["netns", "delete", name])
        _ = run(["link", "delete", hostSide])
    }

    @discardableResult
    private static func run(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
