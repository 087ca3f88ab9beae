import CLibUV

/// One address of one of the machine's network interfaces.
public struct InterfaceAddress: Sendable, Equatable {
    /// The interface's name (`eth0`, `lo`).
    public var interface: String
    /// The address as an IP literal, without brackets (`10.213.7.1`, `fe80::1`).
    public var address: String
    public var isIPv6: Bool
    /// A loopback interface.
    public var isInternal: Bool

    public init(interface: String, address: String, isIPv6: Bool, isInternal: Bool) {
        self.interface = interface
        self.address = address
        self.isIPv6 = isIPv6
        self.isInternal = isInternal
    }
}

/// The machine's interface addresses (`uv_interface_addresses`: `getifaddrs`).
public enum NetworkInterfaces {
    /// Every address of every interface that is up; empty when the system cannot tell.
    public static func addresses() -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<uv_interface_address_t>?
        var count: Int32 = 0
        guard uv_interface_addresses(&list, &count) == 0, let list else { return [] }
        defer { uv_free_interface_addresses(list, count) }
        var result: [InterfaceAddress] = []
        for index in 0..<Int(count) {
            var entry = list[index]
            var name = [CChar](repeating: 0, count: 64)
            let isIPv6 = entry.address.address4.sin_family == sa_family_t(AF_INET6)
            let status =
                isIPv6
                ? uv_ip6_name(&entry.address.address6, &name, name.count)
                : uv_ip4_name(&entry.address.address4, &name, name.count)
            guard status == 0 else { continue }
            let address = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            result.append(
                InterfaceAddress(
                    interface: String(cString: entry.name), address: address, isIPv6: isIPv6,
                    isInternal: entry.is_internal != 0))
        }
        return result
    }
}
