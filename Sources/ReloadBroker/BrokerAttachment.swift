/// Something the broker runs on its primary loop beside its routes: the proxy (its app, probes,
/// pooled connections) and the app command of `serve --exec`. The configuration names them
/// explicitly (``BrokerConfiguration/proxy``, ``BrokerConfiguration/appCommand``); the core
/// calls these hooks in that order.
protocol BrokerAttachment: AnyObject {
    /// The broker's primary core exists (on the thread creating the broker, before its loop runs).
    func attach(to core: BrokerCore)
    /// A settled batch of file changes.
    func filesChanged(_ paths: [String]) -> FileChangeHandling
    /// The broker is stopping: stop the app and close every handle (the loop ends once they are closed).
    func stop()
}

/// What an attachment did with a batch of file changes.
enum FileChangeHandling: Equatable {
    /// It took care of the reload itself (the proxy restarts its app, then reloads).
    case handled
    /// The broker broadcasts as usual.
    case broadcast
}
