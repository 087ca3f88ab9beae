/// A broadcast a blocked client still owes: coalesced so a client never needs more than one.
enum PendingBroadcast: Equatable {
    /// Reload the page (epoch of the latest broadcast).
    case reload(epoch: Int)
    /// Swap one stylesheet.
    case css(epoch: Int, path: String)

    /// A stylesheet swap for `.css` paths, else a reload.
    init(epoch: Int, path: String?) {
        if let path, BrokerCore.isStylesheet(path) {
            self = .css(epoch: epoch, path: path)
        } else {
            self = .reload(epoch: epoch)
        }
    }

    var epoch: Int {
        switch self {
        case .reload(let epoch), .css(let epoch, _): epoch
        }
    }

    /// Two pending updates make one: the same stylesheet twice stays a swap, anything else a reload.
    func merged(with newer: PendingBroadcast) -> PendingBroadcast {
        // Loops deliver concurrently, so a later epoch can arrive first: keep the highest.
        let epoch = max(epoch, newer.epoch)
        if case .css(_, let old) = self, case .css(_, let new) = newer, old == new { return .css(epoch: epoch, path: new) }
        return .reload(epoch: epoch)
    }
}
