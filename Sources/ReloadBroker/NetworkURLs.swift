import UVLoop

/// The URLs other devices on the network reach a broker at (Vite's "Network:" lines), from the
/// address it is bound to and the machine's interface addresses. Pure.
enum NetworkURLs {
    /// - `0.0.0.0`: one URL per IPv4 address of a non-loopback interface;
    /// - `::`: those and the global IPv6 ones (link-local `fe80::` addresses need a zone that
    ///   browsers do not take in URLs);
    /// - another non-loopback address: that one;
    /// - loopback and `localhost`: none.
    static func urls(boundHost: String, port: Int, addresses: [InterfaceAddress]) -> [String] {
        let host = boundHost.hasPrefix("[") && boundHost.hasSuffix("]") ? String(boundHost.dropFirst().dropLast()) : boundHost
        let chosen: [String]
        switch host.lowercased() {
        case "0.0.0.0":
            chosen = addresses.filter { !$0.isInternal && !$0.isIPv6 }.map(\.address)
        case "::", "0:0:0:0:0:0:0:0":
            chosen = addresses.filter { !$0.isInternal && !isLinkLocal($0) }.map(\.address)
        case "localhost", "::1":
            chosen = []
        default:
            chosen = AccessPolicy.isIPv4(host) && host.hasPrefix("127.") ? [] : [host]
        }
        var seen: Set<String> = []
        return chosen.filter { seen.insert($0).inserted }.map { address in
            "http://\(address.contains(":") ? "[\(address)]" : address):\(port)"
        }
    }

    private static func isLinkLocal(_ address: InterfaceAddress) -> Bool {
        // fe80::/10
        address.isIPv6 && ["fe8", "fe9", "fea", "feb"].contains { address.address.lowercased().hasPrefix($0) }
    }
}
