/// The cluster's epoch bookkeeping for one broker. Pure: events in, actions out; no I/O.
///
/// Two numbers matter. `delivered` is the epoch this broker's clients were last given (the
/// broker's own epoch: hellos and injected tags carry it); `seen` the highest cluster epoch
/// received from Redis. Connected, they are equal: a trigger is published (the script makes
/// epoch = stored + 1) and delivered when it comes back on the subscription, so every broker
/// delivers the same epochs in the same order. Away from Redis, a trigger is delivered at once
/// at `delivered + 1` and remembered (coalesced: one, whatever the count), so `delivered` may
/// lead `seen`. On return the remembered trigger is published with `seen` and `delivered` as
/// arguments and the script picks an epoch that is new to everyone:
///
/// - the cluster did not move meanwhile (stored ≤ seen): `max(seen + 1, delivered)`. This
///   broker's clients already have it (their epoch is `delivered`), the others reload once;
/// - it moved: `max(stored, delivered) + 1`, past everything any client holds, so everyone
///   reloads once (each side missed the other's change).
///
/// Without a remembered trigger the broker compares the stored epoch with `seen` instead
/// (catch-up): larger means it missed broadcasts, and its clients get one reload. A message
/// at or below `seen` is stale and dropped; one above `seen` but not above `delivered` (the
/// broker's local epochs ran ahead) is delivered at `delivered + 1`, unless it is this broker's
/// own publication, which its clients already have.
struct ClusterState {
    /// What the cluster component must do next.
    enum Action: Equatable {
        /// Give this broker's clients one broadcast (its epoch becomes the broker's).
        case deliver(PendingBroadcast)
        /// Take this epoch as the broker's without telling clients (first join).
        case adopt(epoch: Int)
        /// Run the publish script with these arguments.
        case publish(seen: Int, floor: Int, payload: String)
        /// Ask Redis for the stored epoch (the join script, which also restores a lost key).
        case join(seen: Int)
    }

    /// Whether a loss of the link starts an outage (logged once) or continues one (a failed retry).
    enum Outage: Equatable {
        case started
        case continuing
    }

    /// How the link to Redis stands.
    enum Link: Equatable {
        case connecting
        case linked
        case away
    }

    let origin: String
    private(set) var delivered: Int
    private(set) var seen: Int?
    private(set) var link: Link = .connecting
    /// A trigger taken while away, coalesced (the path of a lone stylesheet, else nil: a reload).
    private(set) var remembered: PendingTrigger?
    /// Triggers sent for publication that have not come back on the subscription yet (in order);
    /// `published` once the script answered.
    private(set) var inFlight: [(path: String?, published: Bool)] = []
    private(set) var outages = 0
    private var hasJoined = false

    struct PendingTrigger: Equatable {
        var path: String?

        func merged(with newer: String?) -> PendingTrigger {
            path == newer ? self : PendingTrigger(path: nil)
        }
    }

    init(origin: String, epoch: Int) {
        self.origin = origin
        self.delivered = epoch
    }

    /// A trigger from any source on this broker.
    mutating func trigger(path: String?) -> [Action] {
        let path = path.flatMap { BrokerCore.isStylesheet($0) ? $0 : nil }
        guard link == .linked else { return deliverLocally(path) }
        inFlight.append((path, false))
        return [.publish(seen: seen ?? 0, floor: delivered, payload: ClusterMessage.payload(origin: origin, path: path))]
    }

    private mutating func deliverLocally(_ path: String?) -> [Action] {
        delivered += 1
        remembered = remembered.map { $0.merged(with: path) } ?? PendingTrigger(path: path)
        return [.deliver(PendingBroadcast(epoch: delivered, path: path))]
    }

    /// The subscription is confirmed and commands can run: publish what was taken, or catch up.
    mutating func linked() -> [Action] {
        link = .linked
        guard let remembered else { return [.join(seen: seen ?? 0)] }
        self.remembered = nil
        inFlight.append((remembered.path, false))
        return [.publish(seen: seen ?? 0, floor: delivered, payload: ClusterMessage.payload(origin: origin, path: remembered.path))]
    }

    /// The publish script answered (the epoch comes back on the subscription too).
    mutating func published() {
        if let index = inFlight.firstIndex(where: { !$0.published }) { inFlight[index].published = true }
    }

    /// The join script answered with the stored epoch.
    mutating func joined(stored: Int) -> [Action] {
        defer { hasJoined = true }
        guard hasJoined || seen != nil else {
            // First join: adopt the cluster's epoch; clients of this fresh broker missed nothing.
            seen = stored
            guard stored > delivered else { return [] }
            delivered = stored
            return [.adopt(epoch: stored)]
        }
        guard stored > (seen ?? 0) else { return [] }
        seen = stored
        delivered = max(stored, delivered + 1)
        return [.deliver(.reload(epoch: delivered))]
    }

    /// A message on the channel.
    mutating func received(_ message: ClusterMessage) -> [Action] {
        if let seen, message.epoch <= seen { return [] }
        seen = message.epoch
        if message.origin == origin, !inFlight.isEmpty { inFlight.removeFirst() }
        if message.epoch > delivered {
            delivered = message.epoch
            return [.deliver(PendingBroadcast(epoch: delivered, path: message.path))]
        }
        if message.origin == origin { return [] }
        delivered += 1
        return [.deliver(PendingBroadcast(epoch: delivered, path: message.path))]
    }

    /// Redis went away (or answered nonsense). Triggers that never came back are delivered
    /// locally now (coalesced into one); those the script did not confirm are also remembered,
    /// to be published on return. Returns the actions and whether this starts an outage (the
    /// one log line).
    mutating func lost() -> (actions: [Action], outage: Outage) {
        let outage: Outage = link == .away ? .continuing : .started
        if outage == .started { outages += 1 }
        link = .away
        guard !inFlight.isEmpty else { return ([], outage) }
        let entries = inFlight
        inFlight = []
        let path = entries.dropFirst().allSatisfy { $0.path == entries[0].path } ? entries[0].path : nil
        let actions = deliverLocally(path)
        if entries.allSatisfy(\.published) { remembered = nil }
        return (actions, outage)
    }
}
