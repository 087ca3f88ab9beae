/// Loop-side hooks for a fallback handler that runs things of its own on the broker's loop
/// (the proxy: its app, probes, pooled connections). Called by ``BrokerCore``.
protocol BrokerAttachment: AnyObject {
    /// The broker's core exists (on the thread creating the broker, before its loop runs).
    func attach(to core: BrokerCore)
    /// A settled batch of file changes; true when handled (then the core broadcasts nothing).
    func filesChanged(_ paths: [String]) -> Bool
    /// The broker is stopping: stop the app and close every handle (the loop ends once they are closed).
    func stop()
}
