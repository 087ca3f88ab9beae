@testable import ReloadBroker
import Testing

@Suite("Cluster epochs (pure)")
struct ClusterStateTests {
    private func message(_ epoch: Int, from origin: String = "other", path: String? = nil) -> ClusterMessage {
        ClusterMessage(epoch: epoch, origin: origin, path: path)
    }

    /// A broker that joined a cluster at `epoch` and is linked.
    private func linked(at epoch: Int = 10) -> ClusterState {
        var state = ClusterState(origin: "me", epoch: 0)
        #expect(state.linked() == [.join(seen: 0)])
        #expect(state.joined(stored: epoch) == (epoch > 0 ? [.adopt(epoch: epoch)] : []))
        return state
    }

    @Test func connectedTriggersArePublishedAndDeliveredWhenTheyComeBack() {
        var state = linked()
        #expect(state.trigger(path: nil) == [.publish(seen: 10, floor: 10, payload: "me reload")])
        #expect(state.trigger(path: "/a.css") == [.publish(seen: 10, floor: 10, payload: "me css /a.css")])
        state.published()
        #expect(state.received(message(11, from: "me")) == [.deliver(.reload(epoch: 11))])
        #expect(state.received(message(12, from: "me", path: "/a.css")) == [.deliver(.css(epoch: 12, path: "/a.css"))])
        #expect(state.inFlight.isEmpty)
        // A path that is not a stylesheet is a reload (and published as one).
        #expect(state.trigger(path: "/index.html") == [.publish(seen: 12, floor: 12, payload: "me reload")])
    }

    @Test func staleAndDuplicateEpochsAreDropped() {
        var state = linked()
        #expect(state.received(message(12)) == [.deliver(.reload(epoch: 12))])
        #expect(state.received(message(11)).isEmpty)
        #expect(state.received(message(12)).isEmpty)
        #expect(state.delivered == 12)
    }

    @Test func awayTriggersAreDeliveredAtOnceAndPublishedOnceOnReturn() {
        var state = linked()
        let lost = state.lost()
        #expect(lost.outage == .started && lost.actions.isEmpty)
        #expect(state.trigger(path: nil) == [.deliver(.reload(epoch: 11))])
        #expect(state.trigger(path: "/a.css") == [.deliver(.css(epoch: 12, path: "/a.css"))])
        #expect(state.trigger(path: nil) == [.deliver(.reload(epoch: 13))])
        #expect(state.lost().outage == .continuing, "one outage, however many retries")
        #expect(state.outages == 1)
        // Back: one publication for the three, with what this broker's clients already hold.
        #expect(state.linked() == [.publish(seen: 10, floor: 13, payload: "me reload")])
        // The script chose 13 (nothing moved): own clients have it, nothing to deliver.
        #expect(state.received(message(13, from: "me")).isEmpty)
        // The cluster moved meanwhile: the script went past both, and this broker delivers it.
        var moved = linked()
        _ = moved.lost()
        _ = moved.trigger(path: nil)
        _ = moved.linked()
        #expect(moved.received(message(15, from: "me")) == [.deliver(.reload(epoch: 15))])
    }

    @Test func aBrokerThatTookNothingCatchesUpOnceFromTheStoredEpoch() {
        var state = linked()
        _ = state.lost()
        #expect(state.linked() == [.join(seen: 10)])
        #expect(state.joined(stored: 14) == [.deliver(.reload(epoch: 14))])
        // What it missed may still arrive on the subscription: stale now.
        #expect(state.received(message(13)).isEmpty)
        #expect(state.received(message(14)).isEmpty)
        // Redis lost its data (restarted empty): nothing missed, nothing delivered.
        _ = state.lost()
        _ = state.linked()
        #expect(state.joined(stored: 0).isEmpty)
    }

    @Test func aClusterMessageBelowLocalEpochsIsStillDeliveredPastThem() {
        var state = linked()
        _ = state.lost()
        _ = state.trigger(path: nil)  // local 11
        _ = state.linked()
        // Another broker's publication numbered 11 arrives before ours: new to the clients.
        #expect(state.received(message(11)) == [.deliver(.reload(epoch: 12))])
        // Ours then comes back at or below what the clients hold: nothing more.
        #expect(state.received(message(12, from: "me")).isEmpty)
    }

    @Test func unconfirmedPublicationsAreDeliveredLocallyWhenRedisGoesAway() {
        var state = linked()
        _ = state.trigger(path: "/a.css")
        _ = state.trigger(path: "/a.css")
        let lost = state.lost()
        #expect(lost.actions == [.deliver(.css(epoch: 11, path: "/a.css"))])
        #expect(state.remembered == .init(path: "/a.css"))
        // Confirmed by the script but never received: delivered, not published again.
        var confirmed = linked()
        _ = confirmed.trigger(path: nil)
        confirmed.published()
        #expect(confirmed.lost().actions == [.deliver(.reload(epoch: 11))])
        #expect(confirmed.remembered == nil)
    }

    @Test func aFreshBrokerAdoptsTheClusterEpochSilently() {
        var state = ClusterState(origin: "me", epoch: 0)
        _ = state.linked()
        #expect(state.joined(stored: 57) == [.adopt(epoch: 57)])
        #expect(state.trigger(path: nil) == [.publish(seen: 57, floor: 57, payload: "me reload")])
    }
}

@Suite("Cluster messages (pure)")
struct ClusterMessageTests {
    @Test func parsesWhatThePublishScriptSends() {
        #expect(ClusterMessage.parse(Array("42 8c1f09ab reload".utf8)) == ClusterMessage(epoch: 42, origin: "8c1f09ab", path: nil))
        #expect(
            ClusterMessage.parse(Array("43 8c1f css /styles/a b.css".utf8))
                == ClusterMessage(epoch: 43, origin: "8c1f", path: "/styles/a b.css"))
        #expect(ClusterMessage.payload(origin: "ab", path: "/x.css?v=2") == "ab css /x.css?v=2")
        #expect(ClusterMessage.payload(origin: "ab", path: "/x.js") == "ab reload")
    }

    @Test(arguments: [
        "", "reload", "42", "42 ab", "42 ab nuke", "0 ab reload", "-1 ab reload", "042 ab reload", "4e3 ab reload",
        "9007199254740992 ab reload", "99999999999999999999 ab reload", "42 a/b reload", "42 ab reload extra",
        "42 ab css", "42 ab css /x.js", "42 ab css /x\n.css", "42  ab reload",
    ])
    func refusesAnythingElse(text: String) {
        #expect(ClusterMessage.parse(Array(text.utf8)) == nil)
    }

    @Test func refusesInvalidUTF8AndOversizedMessages() {
        #expect(ClusterMessage.parse([0x34, 0x32, 0x20, 0xFF, 0x20]) == nil)
        #expect(ClusterMessage.parse(Array("42 ab css /\(String(repeating: "a", count: 5000)).css".utf8)) == nil)
    }
}
