import UVLoop

extension ReloadBroker {
    /// The URLs devices on the network reach this broker at, when it is bound to a non-loopback
    /// address (`0.0.0.0`, `::` or an interface's address); empty on loopback.
    public var networkURLs: [String] {
        NetworkURLs.urls(boundHost: configuration.host, port: port, addresses: NetworkInterfaces.addresses())
    }
}
